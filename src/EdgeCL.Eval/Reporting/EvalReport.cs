namespace EdgeCL.Eval.Reporting;

/// <summary>The result of <c>edgecl eval</c>, written as <c>report.json</c> (schema <c>edgecl.eval/v1</c>, README "Evaluation").</summary>
/// <remarks>Accuracies and errors are fractions in [0, 1]; a metric that is undefined (one task, no unlabelled
/// steps, ...) is null. Scalars are means over draws; <c>std</c> holds their standard deviations.</remarks>
public sealed record EvalReport
{
    /// <summary>Schema identifier; bumped on any breaking change of keys or meaning.</summary>
    public string Schema { get; init; } = SchemaVersion;

    /// <summary>The current schema.</summary>
    public const string SchemaVersion = "edgecl.eval/v1";

    /// <summary>edgecl version that wrote the report.</summary>
    public required string EdgeclVersion { get; init; }

    /// <summary>False when the run was interrupted: the report holds what finished.</summary>
    public required bool Completed { get; init; }

    /// <summary>The seed every random choice came from.</summary>
    public required long Seed { get; init; }

    /// <summary>The command line (for reproduction).</summary>
    public required string Command { get; init; }

    /// <summary>Protocol settings.</summary>
    public required ProtocolReport Protocol { get; init; }

    /// <summary>The data.</summary>
    public required DatasetReport Dataset { get; init; }

    /// <summary>The backbone (absent for .npy embeddings).</summary>
    public BackboneReport? Backbone { get; init; }

    /// <summary>Domain names; the first is the source.</summary>
    public required IReadOnlyList<string> Domains { get; init; }

    /// <summary>Task names (of the first draw).</summary>
    public required IReadOnlyList<string> Tasks { get; init; }

    /// <summary>Index of the last step of each task (of the first draw; −1 for a task without steps).</summary>
    public required IReadOnlyList<int> TaskEndSteps { get; init; }

    /// <summary>Steps in the stream (of the first draw).</summary>
    public required int Steps { get; init; }

    /// <summary>Held-out sets (columns of the accuracy matrix).</summary>
    public required IReadOnlyList<SetReport> EvaluationSets { get; init; }

    /// <summary>Methods in the order they were given.</summary>
    public required IReadOnlyList<string> MethodOrder { get; init; }

    /// <summary>Per method, keyed by name.</summary>
    public required IReadOnlyDictionary<string, MethodReport> Methods { get; init; }

    /// <summary>Embeddings computed (cache misses) and reused.</summary>
    public required EmbeddingReport Embeddings { get; init; }

    /// <summary>Peak resident memory of the process in MB.</summary>
    public double? PeakRssMb { get; init; }

    /// <summary>Wall time of the run in seconds.</summary>
    public required double ElapsedSeconds { get; init; }
}

/// <summary>Protocol settings of a run.</summary>
/// <remarks><c>correlation</c>: the Dirichlet concentration of the label-correlated order, 0 = shuffled.</remarks>
public sealed record ProtocolReport(string Name, int Shots, int Tasks, int Rounds, double Holdout, int Draws, int EvaluateEvery, int Window,
    IReadOnlyList<string> Shifts, double Correlation = 0);

/// <summary>The data a run used.</summary>
public sealed record DatasetReport(string Source, string? Test, string Kind, IReadOnlyList<string> Classes, int Items, int? TestItems);

/// <summary>The backbone of a run.</summary>
public sealed record BackboneReport(string Name, string SpaceId, int Dimension, string Provider);

/// <summary>A held-out set.</summary>
public sealed record SetReport(string Name, int Task, string Domain, int Samples);

/// <summary>Embedding work of a run.</summary>
public sealed record EmbeddingReport(int Computed, int Distinct, IReadOnlyDictionary<string, LatencyReport> LatencyMs);

/// <summary>Latency of one stage in milliseconds.</summary>
public sealed record LatencyReport(double Median, double P95, long Count);

/// <summary>One method's results.</summary>
public sealed record MethodReport
{
    /// <summary>One line on what the method is.</summary>
    public required string Description { get; init; }

    /// <summary>False when the run was interrupted before this method finished every draw.</summary>
    public required bool Completed { get; init; }

    /// <summary>Draws that finished.</summary>
    public required int DrawsCompleted { get; init; }

    /// <summary>ACC: mean of the final accuracy-matrix row.</summary>
    public double? Accuracy { get; init; }

    /// <summary>Pooled held-out accuracy at the end.</summary>
    public double? FinalAccuracy { get; init; }

    /// <summary>Average incremental accuracy.</summary>
    public double? AvgIncrementalAccuracy { get; init; }

    /// <summary>Forgetting (max − last).</summary>
    public double? Forgetting { get; init; }

    /// <summary>Backward transfer.</summary>
    public double? Bwt { get; init; }

    /// <summary>Average min-ACC.</summary>
    public double? MinAcc { get; init; }

    /// <summary>Worst-case accuracy.</summary>
    public double? WcAcc { get; init; }

    /// <summary>Windowed forgetting WF^w (w = protocol.window).</summary>
    public double? WindowedForgetting { get; init; }

    /// <summary>Online accuracy over all unlabelled steps (pre-update predictions).</summary>
    public double? OnlineAccuracy { get; init; }

    /// <summary>TTA online error per domain.</summary>
    public required IReadOnlyDictionary<string, double?> OnlineError { get; init; }

    /// <summary>TTA online error per task (a condition in one round, e.g. <c>brown:5#2</c>): the per-round table.</summary>
    public IReadOnlyDictionary<string, double?> OnlineErrorByTask { get; init; } = new Dictionary<string, double?>(StringComparer.Ordinal);

    /// <summary>Shifts the learner detected, mean over draws (0 for learners without a detector).</summary>
    public double? ShiftDetections { get; init; }

    /// <summary>Steps at which the first draw's learner detected a shift (compare with <c>task_end_steps</c>).</summary>
    public IReadOnlyList<int> ShiftDetectionSteps { get; init; } = [];

    /// <summary>Final held-out accuracy per domain.</summary>
    public required IReadOnlyDictionary<string, double?> DomainAccuracy { get; init; }

    /// <summary>Standard deviation over draws of each scalar above (keys as above).</summary>
    public required IReadOnlyDictionary<string, double?> Std { get; init; }

    /// <summary>R[t][j]: accuracy of held-out set j after task t (mean over draws; null where not evaluated).</summary>
    public required IReadOnlyList<IReadOnlyList<double?>> AccuracyMatrix { get; init; }

    /// <summary>Continual evaluation over the stream (mean over draws).</summary>
    public required CurveReport Curve { get; init; }

    /// <summary>Latency per stage: front_end, backbone, learner_learn, learner_predict, adaptation.</summary>
    public required IReadOnlyDictionary<string, LatencyReport> LatencyMs { get; init; }

    /// <summary>The scalars of each draw.</summary>
    public required IReadOnlyList<DrawReport> Draws { get; init; }
}

/// <summary>Accuracy over the stream.</summary>
/// <param name="Steps">Step index (0-based, the last step applied) of each evaluation.</param>
/// <param name="Pooled">Held-out accuracy pooled over the seen sets.</param>
/// <param name="Sets">Per held-out set name, its accuracy (null before it is introduced).</param>
public sealed record CurveReport(IReadOnlyList<int> Steps, IReadOnlyList<double?> Pooled, IReadOnlyDictionary<string, IReadOnlyList<double?>> Sets);

/// <summary>One draw's scalars.</summary>
public sealed record DrawReport(int Draw, long Seed, bool Completed, double? Accuracy, double? FinalAccuracy, double? AvgIncrementalAccuracy,
    double? Forgetting, double? Bwt, double? MinAcc, double? WcAcc, double? OnlineAccuracy, IReadOnlyDictionary<string, double?> OnlineError);
