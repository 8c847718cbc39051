using EdgeCL.Core.Memory;

namespace EdgeCL.Device.Agent;

/// <summary>What happened to one sample.</summary>
public enum AgentOutcome
{
    /// <summary>Recognised as a known class.</summary>
    Recognised,

    /// <summary>Best class below the confidence floor.</summary>
    Unknown,

    /// <summary>Learned as a labelled example and durably stored (acknowledged).</summary>
    Learned,

    /// <summary>A labelled example that had been learned before (re-delivered after a restart).</summary>
    Duplicate,

    /// <summary>Rejected (decode error, NaN, store failure, no classes yet).</summary>
    Rejected,
}

/// <summary>One sample's result, raised by <see cref="DeviceAgent.SampleHandled"/>.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Source">The source's name.</param>
/// <param name="Origin">The sample's origin (file, utterance).</param>
/// <param name="Label">The recognised or learned class; null when rejected.</param>
/// <param name="Prediction">The prediction for recognised/unknown samples.</param>
/// <param name="LatencyMs">Milliseconds from the sample's completion (utterance end, frame read) to the result.</param>
/// <param name="Reason">Why it was rejected.</param>
public sealed record AgentResult(AgentOutcome Outcome, string Source, string Origin, string? Label, Prediction? Prediction, double LatencyMs, string? Reason = null);
