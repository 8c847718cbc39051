namespace EdgeCL.Storage.Tests;

/// <summary>A fact that needs to mount a tmpfs; skipped, with the reason, where mounting is refused.</summary>
/// <remarks>xunit 2 has no dynamic skip, so the probe runs when the test is discovered.</remarks>
[AttributeUsage(AttributeTargets.Method)]
public sealed class TmpfsFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> s_skipReason = new(() =>
    {
        using TmpfsMount? probe = TmpfsMount.TryCreate(64, out string reason);
        return probe is null ? reason : null;
    });

    /// <summary>Probes once per process whether a tmpfs can be mounted.</summary>
    public TmpfsFactAttribute()
    {
        if (s_skipReason.Value is { } reason)
            Skip = reason;
    }
}
