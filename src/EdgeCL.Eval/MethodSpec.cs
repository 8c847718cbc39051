namespace EdgeCL.Eval;

/// <summary>One entry of <c>--methods</c>: an optional backbone-level adapter and a learner.</summary>
/// <param name="Name">As given (e.g. <c>ncm-centred</c> or <c>bn-stats+ncm-centred</c>).</param>
/// <param name="Adapter">The adapter name, or null for the static backbone.</param>
/// <param name="Learner">The learner's registry name.</param>
public sealed record MethodSpec(string Name, string? Adapter, string Learner)
{
    /// <summary>Parses <c>[adapter+]learner</c>.</summary>
    public static MethodSpec Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        string name = text.Trim().ToLowerInvariant();
        int plus = name.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? new MethodSpec(name, null, name) : new MethodSpec(name, name[..plus], name[(plus + 1)..]);
    }
}
