namespace EdgeCL.Core.Learning;

/// <summary>A learner that detects shifts in its test stream and drops its running statistics when it does (issue 11).</summary>
/// <remarks>The evaluation reads it to report when detections happened against the (hidden) condition boundaries.</remarks>
public interface IShiftDetecting
{
    /// <summary>Shifts detected since the learner was built.</summary>
    int ShiftDetections { get; }
}
