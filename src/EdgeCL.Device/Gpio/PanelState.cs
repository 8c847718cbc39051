using EdgeCL.Device.Agent;

namespace EdgeCL.Device.Gpio;

/// <summary>What the panel shows: the four status flags and the last sample's result.</summary>
/// <param name="Learning">Teaching is on.</param>
/// <param name="Adapting">Test-time adaptation is active and healthy.</param>
/// <param name="Synced">Connected to the broker with nothing left to send.</param>
/// <param name="Error">An error in the last 30 s.</param>
/// <param name="Outcome">The last shown result's outcome; null before the first.</param>
/// <param name="Label">Its class (recognised, or taught); for an unknown, the nearest class.</param>
/// <param name="Score">Its score (cosine), NaN when it has none.</param>
public readonly record struct PanelState(bool Learning, bool Adapting, bool Synced, bool Error, AgentOutcome? Outcome, string? Label, float Score)
{
    /// <summary>The state with <paramref name="result"/> as the last result, when it is one a user should see (recognised,
    /// unknown or learned); duplicates and rejected input leave it as it was.</summary>
    public PanelState With(AgentResult result) => result.Outcome switch
    {
        AgentOutcome.Recognised or AgentOutcome.Unknown => this with { Outcome = result.Outcome, Label = result.Label ?? result.Prediction?.Label, Score = result.Prediction?.Score ?? float.NaN },
        AgentOutcome.Learned => this with { Outcome = result.Outcome, Label = result.Label, Score = float.NaN },
        _ => this,
    };
}
