using EdgeCL.Core.Fleet;
using EdgeCL.Core.Vectors;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Device;
using EdgeCL.Sync.Tests.Brokers;
using EdgeCL.Sync.Tests.Integration;

namespace EdgeCL.Sync.Tests.Device;

/// <summary>Opens <see cref="FleetDevice"/>s on a test broker with state files in one temp folder, and waits for fleet conditions.</summary>
public sealed class DeviceHarness(IBrokerHarness broker, EmbeddingSpace space) : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-devices-").FullName;
    private readonly List<FleetDevice> _open = [];

    public string StatePath(string name) => Path.Combine(_dir, name + ".db");

    /// <summary>Opens device <paramref name="id"/> on the state file <paramref name="stateName"/> (default: the id); <paramref name="adjust"/> changes its sync settings.</summary>
    public FleetDevice Open(string id, string? stateName = null, Func<FleetSyncOptions, FleetSyncOptions>? adjust = null)
    {
        adjust ??= o => o;
        var device = FleetDevice.Open(new FleetDeviceOptions
        {
            StatePath = StatePath(stateName ?? id),
            Sync = adjust(new FleetSyncOptions
            {
                Fleet = "fleet1",
                DeviceId = id,
                Space = space,
                Broker = broker.ForDevice(id),
                MinReconnectDelay = TimeSpan.FromMilliseconds(50),
                MaxReconnectDelay = TimeSpan.FromMilliseconds(300),
                HealthCheckInterval = TimeSpan.FromMilliseconds(500),
                ConnectTimeout = TimeSpan.FromSeconds(3),
            }),
        }, TestKeys.Codec(id));
        _open.Add(device);
        return device;
    }

    public async Task<FleetDevice> StartAsync(string id, string? stateName = null, Func<FleetSyncOptions, FleetSyncOptions>? adjust = null)
    {
        FleetDevice device = Open(id, stateName, adjust);
        await device.StartAsync();
        return device;
    }

    public static string Digest(FleetDevice device) => LockedState.DigestOf(device.FleetSnapshot());

    /// <summary>Waits until every device holds the same fleet state and <paramref name="condition"/> holds.</summary>
    public static Task ConvergeAsync(IReadOnlyList<FleetDevice> devices, Func<bool>? condition = null) =>
        WaitForAsync(() => devices.Select(Digest).Distinct().Count() == 1 && (condition?.Invoke() ?? true), devices,
            () => string.Join("; ", devices.Select(d => $"{d.DeviceId}: {d.FleetSnapshot().EntryCount} entries, {Digest(d)[..8]}, connected={d.Client.IsConnected}, pending={d.PendingOutboxRows}")));

    /// <summary>Waits for a condition, re-checked whenever a device merges, drops or finishes processing a batch.</summary>
    public static async Task WaitForAsync(Func<bool> condition, IReadOnlyList<FleetDevice> devices, Func<string>? describe = null, TimeSpan? timeout = null)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            try
            {
                if (condition())
                    done.TrySetResult();
            }
            catch (ObjectDisposedException)
            {
            }
        }
        EventHandler<FleetStateChangedEventArgs> onChange = (_, _) => Check();
        EventHandler<MessageDroppedEventArgs> onDrop = (_, _) => Check();
        EventHandler onProcessed = (_, _) => Check();
        foreach (FleetDevice d in devices)
        {
            d.Client.StateChanged += onChange;
            d.Client.MessageDropped += onDrop;
            d.Processed += onProcessed;
        }
        try
        {
            Check();
            await done.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(20));
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"condition not met in time: {describe?.Invoke() ?? ""}");
        }
        finally
        {
            foreach (FleetDevice d in devices)
            {
                d.Client.StateChanged -= onChange;
                d.Client.MessageDropped -= onDrop;
                d.Processed -= onProcessed;
            }
        }
    }

    public static float[] Vector(int seed, int dimension)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, dimension).Select(_ => (float)(random.NextDouble() * 2 - 1))];
    }

    public static FleetEntry? Entry(FleetDevice device, string owner, string label) =>
        device.FleetSnapshot().TryGetEntry(owner, label, out FleetEntry? e) ? e : null;

    public async ValueTask DisposeAsync()
    {
        foreach (FleetDevice d in _open)
            await d.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
