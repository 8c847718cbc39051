using System.Globalization;

namespace EdgeCL.Eval.Shifts;

/// <summary>The names of every shift, their parameters and ranges; parses <c>--shifts</c> lists.</summary>
/// <remarks>
/// <para>Audio (on int16-scale PCM before the speech front end): <c>white:SNR</c>, <c>pink:SNR</c>, <c>brown:SNR</c>,
/// <c>babble:SNR</c> (dB against active-speech power), <c>reverb[:RT60]</c> (s; default 3.5), <c>telephone</c> (300-3400 Hz),
/// <c>speed:FACTOR</c>, <c>gain:DB</c>.</para>
/// <para>Image (on the decoded image before preprocessing), ImageNet-C / MNIST-C (algorithms.md §6) at severity
/// 1-5: gaussian_noise, shot_noise, impulse_noise, defocus_blur, glass_blur, motion_blur, zoom_blur, fog,
/// brightness, contrast, elastic_transform, pixelate, jpeg_compression; short names (gaussian, shot, impulse,
/// defocus, glass, motion, zoom, elastic, jpeg) work too, and <c>corruptions[:S]</c> expands to all thirteen.</para>
/// </remarks>
public static class ShiftCatalog
{
    /// <summary>Default RT60 of <c>reverb</c> in seconds (matched to SoX <c>reverb 90 50 100 100 20 0</c>'s early decay).</summary>
    public const double DefaultReverbSeconds = 3.5;

    /// <summary>The image corruptions in the order of the ImageNet-C benchmark (snow and frost are not implemented).</summary>
    public static IReadOnlyList<string> ImageCorruptions { get; } =
    [
        "gaussian_noise", "shot_noise", "impulse_noise", "defocus_blur", "glass_blur", "motion_blur", "zoom_blur",
        "fog", "brightness", "contrast", "elastic_transform", "pixelate", "jpeg_compression",
    ];

    /// <summary>The audio shifts.</summary>
    public static IReadOnlyList<string> AudioShifts { get; } = ["white", "pink", "brown", "babble", "reverb", "telephone", "speed", "gain"];

    private static readonly Dictionary<string, string> s_aliases = new(StringComparer.Ordinal)
    {
        ["gaussian"] = "gaussian_noise", ["shot"] = "shot_noise", ["impulse"] = "impulse_noise", ["defocus"] = "defocus_blur",
        ["glass"] = "glass_blur", ["motion"] = "motion_blur", ["zoom"] = "zoom_blur", ["elastic"] = "elastic_transform",
        ["jpeg"] = "jpeg_compression", ["none"] = "clean", ["identity"] = "clean",
    };

    /// <summary>Parses a comma-separated list such as <c>clean,white:10,pink:0,reverb</c> or <c>clean,corruptions:3</c>.</summary>
    /// <param name="list">The list.</param>
    /// <param name="defaultSeverity">Severity of image corruptions written without one (1-5).</param>
    /// <exception cref="ArgumentException">An unknown name, a missing or out-of-range parameter, or a duplicate; one
    /// line naming the item and the known names or the allowed range.</exception>
    public static IReadOnlyList<ShiftSpec> ParseList(string list, int defaultSeverity)
    {
        ArgumentNullException.ThrowIfNull(list);
        CheckSeverity(defaultSeverity, "--severity");
        var result = new List<ShiftSpec>();
        foreach (string raw in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (raw.Contains('+', StringComparison.Ordinal))
            {
                result.Add(ParseComposition(raw, defaultSeverity));
                continue;
            }
            (string name, string? value) = SplitNameValue(raw);
            if (name == "corruptions")
            {
                int severity = value is null ? defaultSeverity : ParseSeverity(raw, value);
                result.AddRange(ImageCorruptions.Select(c => new ShiftSpec(c, ShiftKind.Image, severity)));
                continue;
            }
            result.Add(Parse(name, value, raw, defaultSeverity));
        }
        if (result.Count == 0)
            throw new ArgumentException("--shifts is empty; give e.g. clean,white:10 or clean,corruptions:3.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (ShiftSpec s in result)
            if (!seen.Add(s.DomainName))
                throw new ArgumentException($"Shift '{s.DomainName}' is listed twice in --shifts; list each domain once (use --rounds to repeat).");
        return result;
    }

    /// <summary><c>reverb+brown:5</c>: audio shifts applied in the order written (reverberation, then noise).</summary>
    private static ShiftSpec ParseComposition(string raw, int defaultSeverity)
    {
        var parts = new List<ShiftSpec>();
        foreach (string part in raw.Split('+', StringSplitOptions.TrimEntries))
        {
            if (part.Length == 0)
                throw new ArgumentException($"Shift '{raw}' has an empty part; compose audio shifts as a+b, e.g. reverb+brown:5.");
            (string name, string? value) = SplitNameValue(part);
            ShiftSpec s = Parse(name, value, part, defaultSeverity);
            if (s.Kind != ShiftKind.Audio)
                throw new ArgumentException($"Shift '{raw}': '{part}' cannot be composed; '+' composes audio shifts only (e.g. reverb+brown:5).");
            parts.Add(s);
        }
        return ShiftSpec.Compose(parts);
    }

    /// <summary><c>White:10</c> → (<c>white</c>, <c>10</c>); no colon → (name, null).</summary>
    private static (string Name, string? Value) SplitNameValue(string raw)
    {
        string name = raw.ToLowerInvariant();
        int colon = name.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (name, null) : (name[..colon], name[(colon + 1)..]);
    }

    private static ShiftSpec Parse(string name, string? value, string raw, int defaultSeverity)
    {
        if (s_aliases.TryGetValue(name, out string? canonical))
            name = canonical;
        if (name == "clean")
            return value is null ? ShiftSpec.Clean : throw new ArgumentException($"Shift '{raw}': clean takes no parameter.");
        if (ImageCorruptions.Contains(name))
            return new ShiftSpec(name, ShiftKind.Image, value is null ? defaultSeverity : ParseSeverity(raw, value));
        return name switch
        {
            "white" or "pink" or "brown" or "babble" => new ShiftSpec(name, ShiftKind.Audio, Number(raw, value, "an SNR in dB, e.g. " + name + ":10", -30, 60)),
            "reverb" => new ShiftSpec(name, ShiftKind.Audio, value is null ? double.NaN : Number(raw, value, "an RT60 in seconds, e.g. reverb:0.8", 0.05, 10)),
            "telephone" => value is null ? new ShiftSpec(name, ShiftKind.Audio, double.NaN) : throw new ArgumentException($"Shift '{raw}': telephone takes no parameter."),
            "speed" => new ShiftSpec(name, ShiftKind.Audio, Number(raw, value, "a factor, e.g. speed:1.1", 0.5, 2.0)),
            "gain" => new ShiftSpec(name, ShiftKind.Audio, Number(raw, value, "a gain in dB, e.g. gain:-20", -80, 40)),
            _ => throw new ArgumentException(
                $"Unknown shift '{raw}'; known: clean, {string.Join(", ", AudioShifts)} (audio); {string.Join(", ", ImageCorruptions)}, corruptions (image)."),
        };
    }

    private static int ParseSeverity(string raw, string value)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int severity))
            throw new ArgumentException($"Shift '{raw}': severity '{value}' is not an integer; use 1-5.");
        CheckSeverity(severity, $"Shift '{raw}'");
        return severity;
    }

    private static void CheckSeverity(int severity, string what)
    {
        if (severity is < 1 or > 5)
            throw new ArgumentException($"{what}: severity {severity} is out of range; corruption severities are 1-5.");
    }

    private static double Number(string raw, string? value, string expected, double min, double max)
    {
        if (value is null)
            throw new ArgumentException($"Shift '{raw}' needs {expected}.");
        if (value.EndsWith("db", StringComparison.Ordinal))
            value = value[..^2];
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            throw new ArgumentException($"Shift '{raw}': '{value}' is not a number; it needs {expected}.");
        if (v < min || v > max)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Shift '{raw}': {v} is out of range {min}..{max}."));
        return v;
    }
}
