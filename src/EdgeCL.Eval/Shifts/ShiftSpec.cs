using System.Globalization;

namespace EdgeCL.Eval.Shifts;

/// <summary>A parsed, validated shift: its canonical name, kind and parameter (SNR, severity, factor, ...).</summary>
/// <param name="Name">Canonical name (<c>white</c>, <c>gaussian_noise</c>, <c>clean</c>).</param>
/// <param name="Kind">Audio, image or none.</param>
/// <param name="Value">The parameter (SNR in dB, severity 1-5, speed factor, gain in dB, RT60 in s); NaN when it takes none.</param>
/// <remarks>A composition (<c>reverb+brown:5</c>, audio only) has <see cref="Parts"/>, applied in order; its
/// <see cref="Name"/> joins the part names with '+' and its <see cref="Value"/> is NaN.</remarks>
public sealed record ShiftSpec(string Name, ShiftKind Kind, double Value)
{
    /// <summary>The shifts of a composition, in the order they are applied; null for a single shift.</summary>
    public IReadOnlyList<ShiftSpec>? Parts { get; init; }

    /// <summary>A composition of <paramref name="parts"/> applied in order (at least two, each a single shift).</summary>
    public static ShiftSpec Compose(IReadOnlyList<ShiftSpec> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        return new ShiftSpec(string.Join("+", parts.Select(p => p.Name)), parts[0].Kind, double.NaN) { Parts = parts };
    }

    /// <summary>The clean (unshifted) domain.</summary>
    public static ShiftSpec Clean { get; } = new("clean", ShiftKind.None, double.NaN);

    /// <summary>True for the clean domain.</summary>
    public bool IsClean => Kind == ShiftKind.None;

    /// <summary>The domain name used in reports: <c>name</c> or <c>name:value</c>.</summary>
    public string DomainName => Parts is not null ? string.Join("+", Parts.Select(p => p.DomainName))
        : double.IsNaN(Value) ? Name : string.Create(CultureInfo.InvariantCulture, $"{Name}:{Value:0.###}");

    /// <summary>Severity as an integer (image corruptions).</summary>
    public int Severity => (int)Value;

    /// <inheritdoc/>
    public override string ToString() => DomainName;
}
