using System.Globalization;

namespace EdgeCL.Eval.Shifts;

/// <summary>A parsed, validated shift: its canonical name, kind and parameter (SNR, severity, factor, ...).</summary>
/// <param name="Name">Canonical name (<c>white</c>, <c>gaussian_noise</c>, <c>clean</c>).</param>
/// <param name="Kind">Audio, image or none.</param>
/// <param name="Value">The parameter (SNR in dB, severity 1-5, speed factor, gain in dB, RT60 in s); NaN when it takes none.</param>
public sealed record ShiftSpec(string Name, ShiftKind Kind, double Value)
{
    /// <summary>The clean (unshifted) domain.</summary>
    public static ShiftSpec Clean { get; } = new("clean", ShiftKind.None, double.NaN);

    /// <summary>True for the clean domain.</summary>
    public bool IsClean => Kind == ShiftKind.None;

    /// <summary>The domain name used in reports: <c>name</c> or <c>name:value</c>.</summary>
    public string DomainName => double.IsNaN(Value) ? Name : string.Create(CultureInfo.InvariantCulture, $"{Name}:{Value:0.###}");

    /// <summary>Severity as an integer (image corruptions).</summary>
    public int Severity => (int)Value;

    /// <inheritdoc/>
    public override string ToString() => DomainName;
}
