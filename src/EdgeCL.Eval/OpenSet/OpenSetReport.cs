using System.Text.Json.Serialization;

namespace EdgeCL.Eval.OpenSet;

/// <summary>report.json of <c>edgecl eval --unknown</c> (<c>"schema": "edgecl.openset/v1"</c>); rates are fractions.</summary>
public sealed record OpenSetReport
{
    /// <summary>Schema id.</summary>
    public string Schema { get; init; } = "edgecl.openset/v1";

    /// <summary>What ran.</summary>
    public required string Command { get; init; }

    /// <summary>Backbone name.</summary>
    public required string Backbone { get; init; }

    /// <summary>Embedding space id.</summary>
    public required string SpaceId { get; init; }

    /// <summary>Taught classes.</summary>
    public required List<string> Classes { get; init; }

    /// <summary>Labelled examples per class.</summary>
    public int Shots { get; init; }

    /// <summary>Seed.</summary>
    public long Seed { get; init; }

    /// <summary>Label correlation of the taught words' order (Dirichlet γ), or 0 for shuffled.</summary>
    public double Correlation { get; init; }

    /// <summary>Conditions in stream order.</summary>
    public required List<string> Conditions { get; init; }

    /// <summary>The threshold the learners ran with.</summary>
    public float Threshold { get; init; }

    /// <summary>Background examples taught before the stream (--background).</summary>
    public int BackgroundExamples { get; init; }

    /// <summary>False alarms corrected in the second pass.</summary>
    public int Corrections { get; init; }

    /// <summary>Samples of taught classes in the stream (all conditions).</summary>
    public int KnownSamples { get; init; }

    /// <summary>Untaught samples (clips and windows) in the stream.</summary>
    public int UnknownSamples { get; init; }

    /// <summary>Sub-folders of --unknown.</summary>
    public required List<string> UnknownGroups { get; init; }

    /// <summary>Hours of continuous untaught audio per condition.</summary>
    public double ContinuousHours { get; init; }

    /// <summary>How continuous audio was heard: <c>device</c> (the agent's VAD and isolated-word rule) or <c>windows</c>.</summary>
    public string Talk { get; init; } = "windows";

    /// <summary>With <c>device</c>: the utterances the VAD decided in continuous audio (all conditions), and how many of them
    /// the isolated-word rule answered unknown before embedding, by reason (<c>no-speech</c>: a file with none).</summary>
    public int TalkUtterances { get; init; }

    /// <summary>See <see cref="TalkUtterances"/>.</summary>
    public Dictionary<string, int> TalkNotEmbedded { get; init; } = [];

    /// <summary>With <c>device</c>: the isolated-word rule's settings (<c>min_pause_before_ms</c>, <c>max_word_ms</c>, <c>vad.foreground_db</c>).</summary>
    public string? TalkRule { get; init; }

    /// <summary>Per method.</summary>
    public required List<OpenSetMethodResult> Methods { get; init; }
}

/// <summary>One method's open-set figures.</summary>
public sealed record OpenSetMethodResult
{
    /// <summary>Method name.</summary>
    public required string Method { get; init; }

    /// <summary>The whole stream.</summary>
    public required OpenSetFigures Overall { get; init; }

    /// <summary>Per condition.</summary>
    public required Dictionary<string, OpenSetFigures> ByCondition { get; init; }

    /// <summary>The run's threshold and the others, from the recorded scores (exact for static learners; for adaptive
    /// ones the adaptation followed the run's threshold).</summary>
    public required List<OperatingPoint> OperatingPoints { get; init; }

    /// <summary>The stream after the last correction, without and with the corrections.</summary>
    public CorrectionFigures? AfterCorrections { get; init; }
}

/// <summary>Accuracy, rejections and false accepts over a stretch of the stream.</summary>
public sealed record OpenSetFigures
{
    /// <summary>Samples of taught classes.</summary>
    public int Known { get; init; }

    /// <summary>Accepted with the right label, over <see cref="Known"/>.</summary>
    public double Accuracy { get; init; }

    /// <summary>Rejected ("unknown"), over <see cref="Known"/>.</summary>
    public double FalseRejectRate { get; init; }

    /// <summary>Accepted with the wrong label, over <see cref="Known"/>.</summary>
    public double WrongAcceptRate { get; init; }

    /// <summary>Untaught clips (continuous windows not included).</summary>
    public int UnknownClips { get; init; }

    /// <summary>Accepted untaught clips, over <see cref="UnknownClips"/> (null without clips).</summary>
    public double? FalseAcceptRate { get; init; }

    /// <summary>The same per --unknown group.</summary>
    public required Dictionary<string, double> FalseAcceptRateByGroup { get; init; }

    /// <summary>Hours of continuous untaught audio.</summary>
    public double ContinuousHours { get; init; }

    /// <summary>False accepts per hour of continuous audio: runs of accepted windows of one file count once (null without any).</summary>
    public double? FalseAcceptsPerHour { get; init; }

    /// <summary>Area under the ROC of the open-set score, taught against untaught samples (null when either is missing).</summary>
    public double? Auroc { get; init; }

    /// <summary>The same per --unknown group.</summary>
    public required Dictionary<string, double> AurocByGroup { get; init; }
}

/// <summary>False rejects and false accepts at one threshold.</summary>
public sealed record OperatingPoint(float Threshold, double FalseRejectRate, double? FalseAcceptRate, double? FalseAcceptsPerHour);

/// <summary>The effect of the corrections: the same stretch of stream without and with them.</summary>
public sealed record CorrectionFigures(int Made, int FromSample, OpenSetFigures Without, OpenSetFigures With);

/// <summary>Source-generated JSON for the open-set report (AOT-safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(OpenSetReport))]
public sealed partial class OpenSetJsonContext : JsonSerializerContext;
