using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Aggregation;
using EdgeCL.Core.Vectors;
using EdgeCL.Sync.Aggregation;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.State;
using EdgeCL.Sync.Tests.Brokers;

namespace EdgeCL.Sync.Tests.Integration;

/// <summary>A device in aggregate mode: it receives aggregates and its receipts, and publishes its own entries.</summary>
public sealed class AggregateDevice : IAsyncDisposable
{
    private readonly Dictionary<string, long> _versions = new(StringComparer.Ordinal);

    public AggregateDevice(IBrokerHarness broker, string id, EmbeddingSpace space, params string[] trustedAggregators)
        : this(broker, id, space, bundles: true, trustedAggregators)
    {
    }

    /// <param name="bundles">Receive the aggregators' snapshot-and-delta bundles (the default) or one message per class.</param>
    public AggregateDevice(IBrokerHarness broker, string id, EmbeddingSpace space, bool bundles, params string[] trustedAggregators)
    {
        Id = id;
        Space = space;
        Target = new AggregateStateTarget(new AggregateView(space, id));
        var aggregatorKeys = new TrustStore();
        foreach (string a in trustedAggregators)
            aggregatorKeys.Add(a, TestKeys.Signer(a).ExportPublicKeyPem());
        Client = new FleetSyncClient(new FleetSyncOptions
        {
            Fleet = "fleet1",
            DeviceId = id,
            Space = space,
            Broker = broker.ForDevice(id),
            Receive = FleetReceiveMode.Aggregates,
            AggregateBundles = bundles,
            AggregatorKeys = aggregatorKeys,
            TrackDeviceStatus = false,
            MinReconnectDelay = TimeSpan.FromMilliseconds(50),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
        }, TestKeys.Codec(id), Target);
    }

    public string Id { get; }
    public EmbeddingSpace Space { get; }
    public AggregateStateTarget Target { get; }
    public FleetSyncClient Client { get; }
    public Dictionary<string, FleetEntry> Latest { get; } = new(StringComparer.Ordinal);

    public async Task StartAsync()
    {
        await Client.StartAsync();
        await Client.WaitUntilConnectedAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    public async Task LearnAsync(string label, long count, float[] mean)
    {
        long version = _versions.GetValueOrDefault(label) + 1;
        _versions[label] = version;
        var entry = new FleetEntry { SpaceId = Space.Id, DeviceId = Id, Label = label, Version = version, Count = count, Mean = mean };
        await Client.PublishAsync(entry);
        Latest[label] = entry;
    }

    /// <summary>Every class as (live, count, version, mean bits, source), ordinal by label.</summary>
    public string Describe()
    {
        lock (Target.SyncRoot)
            return AggregationExpect.Describe(Target.View);
    }

    public ValueTask DisposeAsync() => Client.DisposeAsync();

    /// <summary>An aggregator that signs with the test key of <paramref name="id"/> and trusts every test device.</summary>
    public static FleetAggregator Aggregator(IBrokerHarness broker, string id, FleetMergePolicy policy = default, bool batchSignatures = true) => new(new FleetAggregatorOptions
    {
        Sync = new FleetSyncOptions
        {
            Fleet = "fleet1",
            DeviceId = id,
            Space = AggregationExpect.Space,
            Broker = broker.ForDevice(id),
            MinReconnectDelay = TimeSpan.FromMilliseconds(50),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
            MergePolicy = policy,
        },
        Quiet = TimeSpan.FromMilliseconds(20),
        MaxDelay = TimeSpan.FromMilliseconds(200),
        BatchSignatures = batchSignatures,
    }, TestKeys.Signer(id), TestKeys.TrustAll());
}

/// <summary>What an aggregate-mode device must hold: the entry merge of every writer, read as prototypes.</summary>
internal static class AggregationExpect
{
    public static readonly EmbeddingSpace Space = new("a9a9", 8);

    public static string Describe(FleetState state)
    {
        var lines = new List<string>();
        float[] mean = new float[state.Space.Dimension];
        foreach (string label in state.Labels)
        {
            bool live = state.TryGetPrototype(label, mean, out long count, out long version);
            lines.Add(Line(label, live, count, version, mean, AggregateViewSource.Aggregate));
        }
        return string.Join("\n", lines);
    }

    public static string Describe(AggregateView view)
    {
        var lines = new List<string>();
        float[] mean = new float[view.Space.Dimension];
        foreach (string label in view.Labels)
        {
            bool live = view.TryGetPrototype(label, mean, out long count, out long version, out AggregateViewSource source);
            lines.Add(Line(label, live, count, version, mean, source));
        }
        return string.Join("\n", lines);
    }

    private static string Line(string label, bool live, long count, long version, float[] mean, AggregateViewSource source) =>
        $"{label} {(live ? "live" : "gone")} n={(live ? count : 0)} v={version} {source} " +
        (live ? string.Join(",", mean.Select(x => BitConverter.SingleToUInt32Bits(x).ToString("x8"))) : "");
}
