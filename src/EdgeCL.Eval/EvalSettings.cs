using EdgeCL.Core.Evaluation;
using EdgeCL.Onnx.Sessions;

namespace EdgeCL.Eval;

/// <summary>Everything <c>edgecl eval</c> was asked to do.</summary>
public sealed record EvalSettings
{
    /// <summary>Labelled data: a folder-per-class dataset (optionally with a domain level) or an .npy file; null with a manifest.</summary>
    public string? Data { get; init; }

    /// <summary>A separate target/test dataset (e.g. unseen speakers), or null.</summary>
    public string? Test { get; init; }

    /// <summary>A JSON Lines stream manifest that fixes the order (instead of a protocol), or null.</summary>
    public string? Manifest { get; init; }

    /// <summary>Backbone name or path (required for files, not for .npy).</summary>
    public string? Backbone { get; init; }

    /// <summary>Models folder, or null for the default lookup.</summary>
    public string? ModelsRoot { get; init; }

    /// <summary>ONNX Runtime settings.</summary>
    public SessionOptionsSpec Sessions { get; init; } = SessionOptionsSpec.Default;

    /// <summary>Protocol, or null to choose: continual when there are shifts or domains, else class-incremental.</summary>
    public ProtocolKind? Protocol { get; init; }

    /// <summary>Method specs, <c>[adapter+]learner</c>; empty = every registered learner.</summary>
    public IReadOnlyList<string> Methods { get; init; } = [];

    /// <summary>Synthetic shifts list (<c>clean,white:10,...</c>), or null.</summary>
    public string? Shifts { get; init; }

    /// <summary>Severity of corruptions named without one.</summary>
    public int Severity { get; init; } = 3;

    /// <summary>Source domain name of a dataset with domain folders (null: 'clean' or 'source' if present, else the first).</summary>
    public string? SourceDomain { get; init; }

    /// <summary>Labelled shots per class.</summary>
    public int Shots { get; init; } = 5;

    /// <summary>Class-incremental/mixed task count (0 = automatic).</summary>
    public int Tasks { get; init; }

    /// <summary>Domain-shift rounds.</summary>
    public int Rounds { get; init; } = 1;

    /// <summary>Label correlation of the unlabelled order (Dirichlet concentration; 0 = shuffled).</summary>
    public double Correlation { get; init; }

    /// <summary>Held-out fraction of target items (0 = evaluate on the streamed samples).</summary>
    public double Holdout { get; init; } = 0.2;

    /// <summary>Repetitions with derived seeds (support draws), averaged.</summary>
    public int Draws { get; init; } = 1;

    /// <summary>The seed.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>Images per backbone run while embedding (0 = by provider: 64 on a GPU, 1 on the CPU; the speech backbone runs clip by clip).</summary>
    public int Batch { get; init; }

    /// <summary>Receives the provider chain's one fallback line (e.g. CUDA absent, running on CPU), or null.</summary>
    public Microsoft.Extensions.Logging.ILogger? ProviderLog { get; init; }

    /// <summary>Steps between continual evaluations (−1 = about 200 per stream, 0 = task ends only).</summary>
    public int EvaluateEvery { get; init; } = -1;

    /// <summary>Window of windowed forgetting, in evaluations.</summary>
    public int Window { get; init; } = 10;

    /// <summary>Method parameters (<c>name.key=value</c>).</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Only these classes (e.g. the held-out digits 5-9); empty = all.</summary>
    public IReadOnlyList<string> Classes { get; init; } = [];

    /// <summary>At most this many items per class and domain (0 = all), for quick runs.</summary>
    public int MaxPerClass { get; init; }

    /// <summary>Output folder for report.json, report.md and plots.</summary>
    public string OutputDirectory { get; init; } = "eval-report";

    /// <summary>Folder for the exact embeddings, labels and predictions (peer export), or null.</summary>
    public string? ExportDirectory { get; init; }

    /// <summary>Write PNG/SVG plots.</summary>
    public bool Plots { get; init; } = true;

    /// <summary>Version of the tool, recorded in the report.</summary>
    public string ToolVersion { get; init; } = "0";

    /// <summary>The command line, recorded in the report.</summary>
    public string CommandLine { get; init; } = "edgecl eval";

    /// <summary>Validates ranges and combinations (before any file is read).</summary>
    /// <exception cref="ArgumentException">One line naming the option and the allowed values.</exception>
    public void Validate()
    {
        if (Manifest is null && Data is null)
            throw new ArgumentException("Give --data <folder | .npy> (with a protocol) or --manifest <stream.jsonl>.");
        if (Manifest is not null && (Data is not null || Test is not null))
            throw new ArgumentException("--manifest fixes the stream; do not combine it with --data or --test.");
        if (Manifest is not null && Protocol is not null)
            throw new ArgumentException("--manifest fixes the stream; --protocol does not apply.");
        if (Draws is < 1 or > 1000)
            throw new ArgumentException($"--draws must be in 1..1000, got {Draws}.");
        if (Manifest is not null && Draws != 1)
            throw new ArgumentException("--draws repeats a protocol's random draws; a manifest stream is fixed, so use --draws 1.");
        if (EvaluateEvery < -1)
            throw new ArgumentException($"--eval-every must be >= 0 (0 = only at task ends), got {EvaluateEvery}.");
        if (Window is < 2 or > 100_000)
            throw new ArgumentException($"--window must be in 2..100000, got {Window}.");
        if (MaxPerClass < 0)
            throw new ArgumentException($"--max-per-class must be >= 0, got {MaxPerClass}.");
        if (Severity is < 1 or > 5)
            throw new ArgumentException($"--severity {Severity} is out of range; corruption severities are 1-5.");
        if (Manifest is not null && Correlation != 0)
            throw new ArgumentException("--manifest fixes the order; --correlation does not apply.");
        new ProtocolOptions { Shots = Shots, Tasks = Tasks, Rounds = Rounds, Holdout = Holdout, Correlation = Correlation }.Validate();
    }
}
