using System.Globalization;
using EdgeCL.Core.Memory;

namespace EdgeCL.Core.Learning;

/// <summary>Settings shared by every learner plus method-specific parameters (<c>name.key=value</c>).</summary>
/// <remarks>
/// Method-specific parameters are strings keyed <c>&lt;method&gt;.&lt;key&gt;</c> (e.g. <c>knn.k=3</c>), so a new
/// learner brings its own settings without a change here; <see cref="LearnerRegistry"/> rejects keys that no
/// registered learner declares.
/// </remarks>
public sealed record LearnerOptions
{
    /// <summary>Comparison of queries with class representatives. Default cosine.</summary>
    public SimilarityMetric Metric { get; init; } = SimilarityMetric.Cosine;

    /// <summary>Softmax temperature for confidence and entropy. Default 0.1 (cosine scale).</summary>
    public float Temperature { get; init; } = 0.1f;

    /// <summary>Open-set recognition (a threshold and the background class), or null for a closed-set learner that
    /// always answers with a taught class.</summary>
    public OpenSet.OpenSetOptions? OpenSet { get; init; }

    /// <summary>Method-specific parameters, keyed <c>&lt;method&gt;.&lt;key&gt;</c>.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The defaults.</summary>
    public static LearnerOptions Default { get; } = new();

    /// <summary>Validates the shared settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Metric))
            throw new ArgumentException($"LearnerOptions.Metric {Metric} is not a known metric (cosine, squared-euclidean).");
        if (!(Temperature > 0f) || !float.IsFinite(Temperature))
            throw new ArgumentException($"LearnerOptions.Temperature must be a finite number > 0, got {Temperature}.");
        OpenSet?.Validate();
    }

    /// <summary>A method parameter as a double, or <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="ArgumentException">Present but not a number, or outside [min, max].</exception>
    public double GetDouble(string key, double fallback, double min = double.MinValue, double max = double.MaxValue)
    {
        if (!Parameters.TryGetValue(key, out string? text))
            return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            throw new ArgumentException($"Parameter {key}='{text}' is not a number.");
        if (value < min || value > max)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Parameter {key}={value} is out of range {min}..{max}."));
        return value;
    }

    /// <summary>A method parameter as an integer, or <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="ArgumentException">Present but not an integer, or outside [min, max].</exception>
    public int GetInt(string key, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        if (!Parameters.TryGetValue(key, out string? text))
            return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
            throw new ArgumentException($"Parameter {key}='{text}' is not an integer.");
        if (value < min || value > max)
            throw new ArgumentException($"Parameter {key}={value} is out of range {min}..{max}.");
        return value;
    }
}
