using System.Globalization;

namespace EdgeCL.Core.Learning.Adaptation;

/// <summary>What a guard does when a health signal crosses its bound.</summary>
public enum GuardAction
{
    /// <summary>Drop the adaptation state (the labelled seed stays) and keep adapting.</summary>
    Reset,

    /// <summary>Drop the adaptation state and answer with the prototype head (in the same, possibly test-centred, space) until <see cref="IStreamLearner.Reset"/>.</summary>
    Fallback,
}

/// <summary>Bounds of the health signals every adaptation learner watches (design.md §4, "guard rails").</summary>
/// <remarks>
/// Read from method parameters <c>&lt;method&gt;.guard-window</c>, <c>.guard-collapse</c>, <c>.guard-disagreement</c>,
/// <c>.guard-entropy</c> and <c>.guard-action</c>, so each learner carries its own defaults.
/// </remarks>
public sealed record GuardOptions
{
    /// <summary>Samples in the moving averages, and the minimum samples after a reset before the guard may trip. Default 100.</summary>
    public int Window { get; init; } = 100;

    /// <summary>Collapse: the most predicted class's share exceeds this multiple of 1/C (capped at 0.95). Default 3.</summary>
    public double CollapseFactor { get; init; } = 3;

    /// <summary>Largest tolerated share of predictions that disagree with the reference head. Default 0.5.</summary>
    public double MaxDisagreement { get; init; } = 0.5;

    /// <summary>Largest tolerated mean entropy as a fraction of ln C. Default 0.98.</summary>
    public double MaxEntropy { get; init; } = 0.98;

    /// <summary>What to do when tripped. Default <see cref="GuardAction.Reset"/>.</summary>
    public GuardAction Action { get; init; } = GuardAction.Reset;

    /// <summary>Reads the guard parameters of <paramref name="method"/>, starting from <paramref name="defaults"/>.</summary>
    /// <exception cref="ArgumentException">A parameter is malformed or out of range.</exception>
    public static GuardOptions From(LearnerOptions options, string method, GuardOptions defaults)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(defaults);
        string actionKey = method + ".guard-action";
        GuardAction action = defaults.Action;
        if (options.Parameters.TryGetValue(actionKey, out string? text))
        {
            action = text switch
            {
                "reset" => GuardAction.Reset,
                "fallback" => GuardAction.Fallback,
                _ => throw new ArgumentException($"Parameter {actionKey}='{text}' must be 'reset' or 'fallback'."),
            };
        }
        return new GuardOptions
        {
            Window = options.GetInt(method + ".guard-window", defaults.Window, 2, 1_000_000),
            CollapseFactor = options.GetDouble(method + ".guard-collapse", defaults.CollapseFactor, 1.0, 1000),
            MaxDisagreement = options.GetDouble(method + ".guard-disagreement", defaults.MaxDisagreement, 0, 1),
            MaxEntropy = options.GetDouble(method + ".guard-entropy", defaults.MaxEntropy, 0, 1),
            Action = action,
        };
    }

    /// <summary>Adds the guard parameter descriptions of <paramref name="method"/> to a registry parameter list.</summary>
    public static void Describe(string method, GuardOptions defaults, IDictionary<string, string> parameters)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        ArgumentNullException.ThrowIfNull(parameters);
        var c = CultureInfo.InvariantCulture;
        parameters[method + ".guard-window"] = string.Create(c, $"health moving-average window in samples (default {defaults.Window})");
        parameters[method + ".guard-collapse"] = string.Create(c, $"reset when one class takes more than this × 1/C of predictions (default {defaults.CollapseFactor})");
        parameters[method + ".guard-disagreement"] = string.Create(c, $"reset when more than this share disagrees with the reference head (default {defaults.MaxDisagreement})");
        parameters[method + ".guard-entropy"] = string.Create(c, $"reset when mean entropy exceeds this fraction of ln C (default {defaults.MaxEntropy})");
        parameters[method + ".guard-action"] = $"reset | fallback (answer with the prototype head until reset) (default {defaults.Action.ToString().ToLowerInvariant()})";
    }
}
