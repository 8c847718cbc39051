using System.Globalization;

namespace EdgeCL.Core.Learning.Adaptation;

/// <summary>Settings of test-stream centring, read from <c>&lt;method&gt;.warmup|decay|clip|align</c>.</summary>
public sealed record TestCentringOptions
{
    /// <summary>Test samples before the running mean replaces the labelled mean. Default 10 (feasibility.md §4).</summary>
    public int WarmUp { get; init; } = 10;

    /// <summary>EMA rate once the exact mean's 1/n drops below it. Default 0.01 (≈ 100 samples of memory).</summary>
    public float Decay { get; init; } = 0.01f;

    /// <summary>Huber clip in running mean distances (0 = off). Default 3.</summary>
    public float Clip { get; init; } = 3f;

    /// <summary>Centre prototypes by the test mean too (one shared centre) instead of the labelled mean. Default false.</summary>
    public bool Align { get; init; }

    /// <summary>Reads the parameters of <paramref name="method"/>.</summary>
    /// <exception cref="ArgumentException">Malformed or out of range.</exception>
    public static TestCentringOptions From(LearnerOptions options, string method)
    {
        ArgumentNullException.ThrowIfNull(options);
        var d = new TestCentringOptions();
        return new TestCentringOptions
        {
            WarmUp = options.GetInt(method + ".warmup", d.WarmUp, 1, 1_000_000),
            Decay = (float)options.GetDouble(method + ".decay", d.Decay, 1e-6, 1),
            Clip = (float)options.GetDouble(method + ".clip", d.Clip, 0, 1000),
            Align = options.GetInt(method + ".align", d.Align ? 1 : 0, 0, 1) == 1,
        };
    }

    /// <summary>A fresh running test mean with these settings.</summary>
    public TestStreamCentre CreateCentre(int dimension) => new(dimension, WarmUp, Decay, Clip);

    /// <summary>Adds the parameter descriptions of <paramref name="method"/>.</summary>
    public static void Describe(string method, IDictionary<string, string> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var d = new TestCentringOptions();
        var c = CultureInfo.InvariantCulture;
        parameters[method + ".warmup"] = string.Create(c, $"test samples before the running test mean is used (default {d.WarmUp})");
        parameters[method + ".decay"] = string.Create(c, $"EMA rate of the running test mean, 1/decay ≈ its memory in samples (default {d.Decay})");
        parameters[method + ".clip"] = string.Create(c, $"Huber clip of an outlier's pull, in mean distances; 0 = off (default {d.Clip})");
        parameters[method + ".align"] = "1 = centre prototypes by the test mean too; 0 = by the labelled mean (default 0)";
    }
}
