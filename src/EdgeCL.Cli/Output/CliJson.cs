using System.Text.Json.Serialization;

namespace EdgeCL.Cli.Output;

/// <summary>An input or output tensor of a model.</summary>
internal sealed record TensorInfo(string Name, string ElementType, IReadOnlyList<string> Shape);

/// <summary><c>edgecl model inspect --json</c>.</summary>
internal sealed record InspectResult(string Path, long Bytes, string Sha256, string? Producer, string? GraphName, long? OpsetVersion,
    IReadOnlyList<TensorInfo> Inputs, IReadOnlyList<TensorInfo> Outputs, IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyDictionary<string, int>? Operators, int? BatchNormalizationNodes, string? EmbeddingOutput, int? EmbeddingDimension);

/// <summary>A backbone listed by <c>edgecl model list</c>.</summary>
internal sealed record BackboneListing(string Name, string Kind, string Directory, bool FilesPresent, string? Description)
{
    /// <summary>Every file is present and matches its SHA-256: the backbone will open.</summary>
    public bool Verified { get; init; }

    /// <summary>Why a present backbone is not ready (a checksum mismatch), one line.</summary>
    public string? Problem { get; init; }
}

/// <summary><c>edgecl embed --json</c>.</summary>
internal sealed record EmbedResult(string Backbone, string SpaceId, string Provider, int Samples, int Dimension, string Embeddings, string Labels, string Files,
    double Seconds, double SamplesPerSecond, int Batch);

/// <summary>One class in a state.</summary>
internal sealed record ClassInfo(string Label, long Count, long Version);

/// <summary><c>edgecl learn --json</c> and <c>edgecl status</c>-like summaries.</summary>
internal sealed record LearnResult(string State, string SpaceId, int Dimension, int Added, IReadOnlyList<ClassInfo> Classes);

/// <summary>One file's prediction.</summary>
internal sealed record FilePrediction(string File, string? Expected, string Predicted, float Score, float Margin, float Confidence, float Entropy,
    IReadOnlyList<ScoreInfo> Top, bool Accepted, float Threshold);

/// <summary>A class and its score.</summary>
internal sealed record ScoreInfo(string Label, float Score);

/// <summary><c>edgecl predict --json</c>.</summary>
internal sealed record PredictResult(string Backbone, string SpaceId, string Provider, int Samples, double? Accuracy, IReadOnlyList<FilePrediction> Predictions);

/// <summary>Latency summary in milliseconds.</summary>
internal sealed record Latency(double MedianMs, double P95Ms);

/// <summary>Per-class accuracy.</summary>
internal sealed record ClassAccuracy(string Label, int Correct, int Total);

/// <summary><c>edgecl demo --json</c>.</summary>
internal sealed record DemoResult(string Backbone, string SpaceId, string Provider, int Shots, int Seed, int Classes, int SupportVoicesClips, int TestClips,
    double Accuracy, IReadOnlyList<ClassAccuracy> PerClass, int Draws, double MeanAccuracyOverDraws, double StdAccuracyOverDraws, double OneShotMeanAccuracy,
    Latency Embed, Latency LearnerPredict, Latency LearnerUpdate, string Noise, double NoisyAccuracy, string? AdaptationMethod, double? AdaptedAccuracy);

/// <summary><c>edgecl fleet simulate --json</c>: times in seconds, bytes per entry are payload bytes.</summary>
internal sealed record SimulateResult(string Broker, int Devices, int Classes, int Dimension, string VectorType, bool Overlap, int SamplesPerClass,
    int Entries, double ConnectSeconds, double PublishSeconds, double SecondsToIdenticalAfterLastUpdate, double SecondsToIdenticalFromFirstUpdate,
    bool Identical, double BytesPerEntry, double BytesPerEntryOverDx2, double MaxDifferenceToCentralisedMean, long Deliveries, long Drops)
{
    /// <summary>Aggregators run (0: every device received every entry).</summary>
    public int Aggregators { get; init; }

    /// <summary>What one device received and verified (medians over devices, and the maxima).</summary>
    public SimulatePerDevice? PerDevice { get; init; }

    /// <summary>What the aggregators received, verified and published (sums), when any ran.</summary>
    public SimulateAggregators? AggregatorCost { get; init; }

    /// <summary>Median µs of one ECDSA P-256 verification, timed in the same run (to turn verifications into CPU).</summary>
    public double VerifyMicroseconds { get; init; }

    /// <summary>CPU seconds the simulating process used from the first update until every device was identical (all threads).</summary>
    public double CpuSeconds { get; init; }

    /// <summary>Seconds the garbage collector paused the process in the same span.</summary>
    public double GcPauseSeconds { get; init; }

    /// <summary>MiB the process allocated in the same span.</summary>
    public double AllocatedMib { get; init; }

    /// <summary>The per-device weight cap every device and aggregator merged with (0: count weighting).</summary>
    public long Cap { get; init; }

    /// <summary>The mean norm bound every device and aggregator merged with (0: none).</summary>
    public float MaxNorm { get; init; }

    /// <summary>The merge policy in words.</summary>
    public string Policy { get; init; } = "count-weighted";

    /// <summary>Devices that published wrong-label prototypes with a huge count.</summary>
    public int Compromised { get; init; }

    /// <summary>Classes whose merged prototype lies nearer another class's honest centralised mean than its own.</summary>
    public int HijackedClasses { get; init; }

    /// <summary>Single-class changes after the full sync (<c>--changes</c>), when any ran.</summary>
    public SimulateChanges? Changes { get; init; }
}

/// <summary>Steady state of <c>edgecl fleet simulate --changes N</c>: single-class changes one at a time.</summary>
/// <param name="Count">Changes made.</param>
/// <param name="SecondsMedian">Seconds from a change to every device holding its new aggregate exactly (median over changes).</param>
/// <param name="MessagesPerChangeMedian">Messages one device received per change (median over devices).</param>
/// <param name="BytesPerChangeMedian">Payload bytes one device received per change (median over devices).</param>
internal sealed record SimulateChanges(int Count, double SecondsMedian, double MessagesPerChangeMedian, double BytesPerChangeMedian);

/// <summary>Per-device receive cost of <c>edgecl fleet simulate</c>: medians over devices, and the largest.</summary>
internal sealed record SimulatePerDevice(double MessagesMedian, double BytesMedian, double VerificationsMedian, long MessagesMax, long BytesMax)
{
    /// <summary>ECDSA verifications one device made (median): its own payloads read back, and aggregates/receipts or entries received; batch roots already verified cost none.</summary>
    public double SignatureChecksMedian { get; init; }

    /// <summary>ECDSA signatures one device made (median): one per entry signed alone, one per batch.</summary>
    public double SignaturesMadeMedian { get; init; }
}

/// <summary>The aggregators' totals in <c>edgecl fleet simulate --aggregators N</c>.</summary>
internal sealed record SimulateAggregators(long EntriesReceived, long Verifications, long AggregatesPublished, long ReceiptsPublished)
{
    /// <summary>ECDSA verifications of received entries (sum over aggregators).</summary>
    public long SignatureChecks { get; init; }

    /// <summary>ECDSA signatures made for aggregates and receipts (sum over aggregators; one per publish cycle).</summary>
    public long SignaturesMade { get; init; }

    /// <summary>Seconds from the first update until the aggregators had merged every entry (the verifying bottleneck).</summary>
    public double SecondsToAllEntries { get; init; }

    /// <summary>Seconds from the first update until an aggregator first had aggregates acknowledged by the broker (it holds
    /// them while a storm lasts); null when the fleet converged before the 50 ms poll saw them.</summary>
    public double? SecondsToFirstAggregates { get; init; }

    /// <summary>Seconds from the first update until half the devices held every class exactly.</summary>
    public double SecondsToHalfTheDevices { get; init; }
}

/// <summary>One retained entry seen by <c>edgecl fleet status</c>; <c>Signature</c> is "valid" (verified with --trust) or "unchecked".</summary>
internal sealed record FleetClassInfo(string Space, string Label, long Version, long Count, int Dimension, bool Tombstone, int PayloadBytes, string Signature);

/// <summary>One device seen by <c>edgecl fleet status</c>.</summary>
internal sealed record FleetDeviceInfo(string Device, bool? Online, long? Session, IReadOnlyList<FleetClassInfo> Classes);

/// <summary>One retained message <c>edgecl fleet status</c> did not show: its topic, the reason (malformed, oversized, unsigned, forged) and what was wrong.</summary>
internal sealed record FleetDroppedTopicInfo(string Topic, string Reason, string Why);

/// <summary><c>edgecl fleet status --json</c>: <c>Drops</c> counts retained messages not shown, per reason (malformed, oversized, unsigned, forged); <c>Dropped</c> lists them (the first 200).</summary>
internal sealed record FleetStatusResult(string Broker, string Fleet, bool Verified, IReadOnlyList<FleetDeviceInfo> Devices, IReadOnlyDictionary<string, long> Drops,
    IReadOnlyList<FleetDroppedTopicInfo> Dropped)
{
    /// <summary>The commands the broker holds (retained) for the fleet's devices: pending until acknowledged, then done.</summary>
    public IReadOnlyList<EdgeCL.Sync.Operator.FleetCommandView> Commands { get; init; } = [];
}

/// <summary>Source-generated JSON for every CLI output (AOT: no reflection).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(InspectResult))]
[JsonSerializable(typeof(IReadOnlyList<InspectResult>))]
[JsonSerializable(typeof(IReadOnlyList<BackboneListing>))]
[JsonSerializable(typeof(EmbedResult))]
[JsonSerializable(typeof(LearnResult))]
[JsonSerializable(typeof(PredictResult))]
[JsonSerializable(typeof(DemoResult))]
[JsonSerializable(typeof(SimulateResult))]
[JsonSerializable(typeof(FleetStatusResult))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
