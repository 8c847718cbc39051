using System.Collections.Concurrent;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Vectors;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Outbox;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.Tests.Brokers;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Sync.Tests.Integration;

/// <summary>One simulated device: a sync client, its state and outbox, and the versions it has written.</summary>
public sealed class TestDevice : IAsyncDisposable
{
    private readonly IBrokerHarness _broker;
    private readonly Dictionary<string, long> _versions = new(StringComparer.Ordinal);
    private readonly TimeSpan? _operationTimeout;

    /// <param name="operationTimeout">How long a publish or ping may wait for the broker's answer (the client's default
    /// when null); short where a test partitions the network, so the cut-off side notices within seconds.</param>
    public TestDevice(IBrokerHarness broker, string id, EmbeddingSpace space, string fleet = "fleet1", IFleetEntryCodec? codec = null,
        TimeSpan? operationTimeout = null)
    {
        _broker = broker;
        _operationTimeout = operationTimeout;
        Id = id;
        Space = space;
        Fleet = fleet;
        Codec = codec ?? TestKeys.Codec(id);
        State = new LockedState(space);
        Client = NewClient();
    }

    public string Id { get; }
    public string Fleet { get; }
    public EmbeddingSpace Space { get; }
    public IFleetEntryCodec Codec { get; }
    public LockedState State { get; }
    public MemoryFleetOutbox Outbox { get; } = new();
    public FleetSyncClient Client { get; private set; }

    /// <summary>Where the client keeps accepted command nonces across <see cref="GoOfflineAsync"/> (as the agent's state
    /// folder does), or null for memory only. Set before the first start.</summary>
    public string? CommandNoncePath
    {
        get => _noncePath;
        set
        {
            _noncePath = value;
            Client = NewClient();
        }
    }

    private string? _noncePath;

    /// <summary>Publish own entries as retained bundles (snapshot and delta) instead of one message per class. Set before the first start.</summary>
    public bool PublishBundles
    {
        get => _bundles;
        set
        {
            _bundles = value;
            Client = NewClient();
        }
    }

    private bool _bundles;

    /// <summary>The latest entry per class as the fleet sees it (after the codec round trip).</summary>
    public Dictionary<string, FleetEntry> Latest { get; } = new(StringComparer.Ordinal);

    /// <summary>The client's last log lines at Information and above (connect failures say why), for the message of a test that fails.</summary>
    private LastLines Log { get; } = new();

    /// <summary>Starts the client and waits until it is connected (<paramref name="wait"/>, default 10 s).</summary>
    /// <exception cref="TimeoutException">Not connected in time; the message ends with the client's last log lines.</exception>
    public async Task StartAsync(TimeSpan? wait = null)
    {
        TimeSpan limit = wait ?? TimeSpan.FromSeconds(10);
        await Client.StartAsync();
        try
        {
            await Client.WaitUntilConnectedAsync().WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Id} did not connect within {limit.TotalSeconds:0} s; its last log lines: {string.Join(" | ", Log.Lines)}");
        }
    }

    public Task LearnAsync(string label, long count, float[] mean) => WriteAsync(label, count, mean);

    public Task ForgetAsync(string label) => WriteAsync(label, 0, []);

    /// <summary>Learns several classes at once and publishes them as one batch-signed flush; returns the entries.</summary>
    public async Task<FleetEntry[]> LearnBatchAsync(params (string Label, long Count, float[] Mean)[] classes)
    {
        FleetEntry[] entries = [.. classes.Select(c =>
        {
            long version = _versions.GetValueOrDefault(c.Label) + 1;
            _versions[c.Label] = version;
            return new FleetEntry { SpaceId = Space.Id, DeviceId = Id, Label = c.Label, Version = version, Count = c.Count, Mean = c.Mean };
        })];
        await Client.PublishBatchAsync(entries);
        foreach (FleetEntry entry in entries)
        {
            Assert.True(Codec.TryDecode(Codec.Encode(entry), out FleetEntry? wire, out _));
            Latest[entry.Label] = wire;
        }
        return entries;
    }

    /// <summary>Stops the client (clean goodbye) and replaces it with a new, unstarted one over the same state and outbox.</summary>
    public async Task GoOfflineAsync()
    {
        await Client.DisposeAsync();
        Client = NewClient();
    }

    public async ValueTask DisposeAsync() => await Client.DisposeAsync();

    private async Task WriteAsync(string label, long count, float[] mean)
    {
        long version = _versions.GetValueOrDefault(label) + 1;
        _versions[label] = version;
        var entry = new FleetEntry { SpaceId = Space.Id, DeviceId = Id, Label = label, Version = version, Count = count, Mean = mean };
        await Client.PublishAsync(entry);
        Assert.True(Codec.TryDecode(Codec.Encode(entry), out FleetEntry? wire, out _));
        Latest[label] = wire;
    }

    private FleetSyncClient NewClient()
    {
        var options = new FleetSyncOptions
        {
            Fleet = Fleet,
            DeviceId = Id,
            Space = Space,
            Broker = _broker.ForDevice(Id),
            MinReconnectDelay = TimeSpan.FromMilliseconds(50),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
            HealthCheckInterval = TimeSpan.FromMilliseconds(500),
            ConnectTimeout = TimeSpan.FromSeconds(3),
            OperatorKeys = TestKeys.Operators(),
            CommandNoncePath = _noncePath,
            PublishBundles = _bundles,
        };
        if (_operationTimeout is { } timeout)
            options = options with { OperationTimeout = timeout };
        return new FleetSyncClient(options, Codec, State, Outbox, Log);
    }

    private sealed class LastLines : ILogger<FleetSyncClient>
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IEnumerable<string> Lines => _lines;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
                return;
            _lines.Enqueue(formatter(state, exception));
            while (_lines.Count > 4)
                _lines.TryDequeue(out _);
        }
    }
}
