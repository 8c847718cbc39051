namespace EdgeCL.Device.Config;

/// <summary>A config file has mistakes; <see cref="Errors"/> holds one line per mistake.</summary>
public sealed class DeviceConfigException(IReadOnlyList<string> errors)
    : Exception(errors.Count == 1 ? errors[0] : $"{errors.Count} mistakes in the config:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", errors)}")
{
    /// <summary>One line per mistake: where, what was wrong, what to do.</summary>
    public IReadOnlyList<string> Errors { get; } = errors;
}
