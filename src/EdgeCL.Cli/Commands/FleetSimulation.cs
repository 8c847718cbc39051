using EdgeCL.Core.Security;
using System.Diagnostics;
using System.Security.Cryptography;
using EdgeCL.Cli.Output;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;
using EdgeCL.Sync.Broker;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.State;

namespace EdgeCL.Cli.Commands;

/// <summary>
/// N in-process devices learn synthetic Gaussian classes, sync over a real broker, and are checked against the centralised means.
/// </summary>
/// <remarks>
/// Class c has a centre drawn from N(0, 1) per dimension; each sample is centre + N(0, 0.5²). Disjoint: class c is learned by
/// device c mod N. Overlap: every device learns every class from its own samples. Every device has its own ECDSA key and a
/// trust store with all keys, so each received entry is verified, as on real devices. With --compromised K the last K
/// devices publish wrong-label prototypes with a huge count (FleetSimulation.Compromised.cs); the centralised means are
/// then the honest devices'.
/// </remarks>
internal sealed partial class FleetSimulation
{
    public required int Devices { get; init; }
    public required int Classes { get; init; }
    public required int Dimension { get; init; }
    public required int SamplesPerClass { get; init; }
    public required bool Overlap { get; init; }
    public required bool Fp16 { get; init; }
    public required string Broker { get; init; }
    public required string? Password { get; init; }
    public required int Seed { get; init; }
    public required TimeSpan Timeout { get; init; }
    public required Action<string> Say { get; init; }

    /// <summary>Aggregators to run (devices then receive aggregates and receipts, not every entry); 0 = every device receives every entry.</summary>
    public int Aggregators { get; init; }

    /// <summary>Devices publish their entries, and receive aggregates, in bundles (true, the default) or one message per class.</summary>
    public bool Bundles { get; init; } = true;

    public async Task<SimulateResult> RunAsync(CancellationToken cancellationToken)
    {
        if (Devices < 1 || Classes < 1 || Dimension < 1 || SamplesPerClass < 1)
            throw new ArgumentException($"--devices, --classes, --dim and --samples must be >= 1 (got {Devices}, {Classes}, {Dimension}, {SamplesPerClass}).");
        CheckAttack();
        // Many MQTT clients in one process starve the thread pool's slow ramp-up (measured: 100 devices converge in ~3 s
        // with default minimums, ~0.1 s with these); a real device runs one client and is unaffected. Capped, so that
        // 10,000 simulated devices do not ask for 20,000 threads.
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, Math.Min(Devices * 2 + 8, 512)), Math.Max(io, Math.Min(Devices + 8, 512)));
        var space = new EmbeddingSpace(Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(Dimension)))[..16], Dimension);
        string[] ids = [.. Enumerable.Range(0, Devices).Select(i => $"sim-{i:D5}")];
        if (Aggregators > 0)
            return await RunAggregatedAsync(space, ids, cancellationToken).ConfigureAwait(false);
        (EmbeddedBroker? embedded, FleetBrokerOptions endpoint) = await StartBrokerAsync(ids, cancellationToken).ConfigureAwait(false);
        string fleet = NewFleetName();

        var signers = ids.Select(EntrySigner.Create).ToArray();
        string[] publicKeys = [.. signers.Select(s => s.ExportPublicKeyPem())];
        var targets = new FleetStateTarget[Devices];
        var trustStores = new TrustStore[Devices];
        var clients = new FleetSyncClient[Devices];
        var codecs = new SignedEntryCodec[Devices];
        try
        {
            for (int i = 0; i < Devices; i++)
            {
                trustStores[i] = new TrustStore();
                for (int j = 0; j < Devices; j++)
                    trustStores[i].Add(ids[j], publicKeys[j]);
                targets[i] = new FleetStateTarget(new FleetState(space, Policy));
                var codec = codecs[i] = new SignedEntryCodec(signers[i], trustStores[i], Fp16 ? FleetVectorType.Float16 : FleetVectorType.Float32);
                clients[i] = new FleetSyncClient(new FleetSyncOptions
                {
                    Fleet = fleet,
                    DeviceId = ids[i],
                    Space = space,
                    Broker = Login(endpoint, embedded, ids[i]),
                    TrackDeviceStatus = false,
                    ReceiveQueueCapacity = 16384,
                    PublishBundles = Bundles,
                }, codec, targets[i]);
            }

            (PrototypeMemory[] memories, double[][] central, long[] centralCount) = Generate(space);
            FleetEntry[][] entries = [.. Enumerable.Range(0, Devices).Select(i => EntriesOf(i, ids[i], memories[i], central))];
            int expectedEntries = entries.Sum(e => e.Length);

            var clock = Stopwatch.StartNew();
            foreach (FleetSyncClient client in clients)
                await client.StartAsync(cancellationToken).ConfigureAwait(false);
            await Task.WhenAll(clients.Select(c => c.WaitUntilConnectedAsync(cancellationToken))).WaitAsync(Timeout, cancellationToken).ConfigureAwait(false);
            double connectSeconds = clock.Elapsed.TotalSeconds;
            Say($"{Devices} devices connected to {(embedded is null ? Broker : $"embedded broker :{embedded.Port}")} in {connectSeconds:F2} s; publishing {expectedEntries} entries ({Dimension}-d, {(Fp16 ? "fp16" : "fp32")}, {(Overlap ? "overlapping" : "disjoint")} classes, {(Bundles ? "in bundles" : "one message per class")})");

            // Converged when every device holds all entries; checked on the consumer threads as merges land.
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            int complete = 0;
            var lastMerge = new long[Devices];
            var reached = new int[Devices];
            for (int i = 0; i < Devices; i++)
            {
                int index = i;
                clients[i].StateChanged += (_, _) =>
                {
                    int count;
                    lock (targets[index].SyncRoot)
                        count = targets[index].State.EntryCount;
                    if (count == expectedEntries && Interlocked.Exchange(ref reached[index], 1) == 0)
                    {
                        Volatile.Write(ref lastMerge[index], clock.ElapsedTicks);
                        if (Interlocked.Increment(ref complete) == Devices)
                            done.TrySetResult();
                    }
                };
            }

            long publishStart = clock.ElapsedTicks;
            // Each device flushes what it learned at once: one batch signature per device (SignedPayload).
            for (int i = 0; i < Devices; i++)
                await clients[i].PublishBatchAsync(entries[i], cancellationToken).ConfigureAwait(false);
            long lastUpdate = clock.ElapsedTicks;
            try
            {
                await done.Task.WaitAsync(Timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                int[] counts = [.. targets.Select(t => { lock (t.SyncRoot) return t.State.EntryCount; })];
                throw new TimeoutException($"The fleet did not converge within {Timeout.TotalSeconds:0} s: devices hold {counts.Min()}..{counts.Max()} of {expectedEntries} entries; raise --timeout or check the broker's queue limits (mosquitto max_queued_messages).");
            }
            long converged = lastMerge.Max();

            // Identical state everywhere, and the merged prototypes against the centralised means.
            FleetState reference = targets[0].State;
            bool identical = targets.All(t => t.State.ContentEquals(reference));
            double maxDifference = 0;
            var mean = new float[Dimension];
            foreach (FleetStateTarget t in targets)
                for (int c = 0; c < Classes; c++)
                {
                    if (centralCount[c] == 0)
                        continue;
                    if (!t.State.TryGetPrototype(Label(c), mean, out _, out _))
                        throw new InvalidOperationException($"Class {Label(c)} is missing from a device's merged state.");
                    for (int k = 0; k < Dimension; k++)
                        maxDifference = Math.Max(maxDifference, Math.Abs(mean[k] - central[c][k]));
                }
            // Bytes the devices published per entry they taught (a bundle carries many).
            long bytes = clients.Sum(c => c.Statistics.PublishedBytes);
            double bytesPerEntry = expectedEntries == 0 ? 0 : (double)bytes / expectedEntries;
            long drops = clients.Sum(c => c.Statistics.Drops.Values.Sum());
            double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;
            return new SimulateResult(embedded is null ? Broker : "embedded", Devices, Classes, Dimension, Fp16 ? "fp16" : "fp32", Overlap, SamplesPerClass,
                expectedEntries, connectSeconds, Seconds(lastUpdate - publishStart), Seconds(converged - lastUpdate), Seconds(converged - publishStart),
                identical, bytesPerEntry, bytesPerEntry / (Dimension * 2.0), maxDifference, (long)expectedEntries * Devices, drops)
            {
                PerDevice = PerDeviceCost(clients, codecs, signers),
                VerifyMicroseconds = TimeVerification(signers[0], entries[0].FirstOrDefault(), Fp16 ? FleetVectorType.Float16 : FleetVectorType.Float32),
                Cap = Cap,
                MaxNorm = MaxNorm,
                Policy = Policy.ToString(),
                Compromised = Compromised,
                HijackedClasses = CountHijacked(label => reference.TryGetPrototype(label, mean, out _, out _) ? mean : null, central, centralCount),
            };
        }
        finally
        {
            await Task.WhenAll(clients.Where(c => c is not null).Select(c => c.DisposeAsync().AsTask())).ConfigureAwait(false);
            foreach (TrustStore t in trustStores)
                t?.Dispose();
            foreach (EntrySigner s in signers)
                s.Dispose();
            if (embedded is not null)
                await embedded.DisposeAsync().ConfigureAwait(false);
        }
    }

    private string? _password;

    /// <summary>Starts the embedded broker with an account per user, or parses the external broker's address.</summary>
    private async Task<(EmbeddedBroker? Embedded, FleetBrokerOptions Endpoint)> StartBrokerAsync(IEnumerable<string> users, CancellationToken cancellationToken)
    {
        _password = Password ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        if (Broker != "embedded")
            return (null, FleetBrokerOptions.Parse(Broker));
        // One hash for every simulated device (they share the password): hashing is deliberately slow.
        string hash = PasswordHash.Hash(_password);
        var embedded = new EmbeddedBroker(new EmbeddedBrokerOptions { Port = 0, Users = [.. users.Select(id => new BrokerUser(id, hash))] });
        await embedded.StartAsync(cancellationToken).ConfigureAwait(false);
        return (embedded, new FleetBrokerOptions { Host = "127.0.0.1", Port = embedded.Port });
    }

    /// <summary>The endpoint with <paramref name="user"/>'s login (the embedded broker always needs one; an external one when --password is given).</summary>
    private FleetBrokerOptions Login(FleetBrokerOptions endpoint, EmbeddedBroker? embedded, string user) =>
        embedded is not null || Password is not null ? endpoint with { UserName = user, Password = _password } : endpoint;

    /// <summary>A fresh fleet name: no retained leftovers from an earlier run on the same broker.</summary>
    private static string NewFleetName() => $"sim{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";

    /// <summary>Medians over devices of what each received and verified, and the ECDSA operations each made.</summary>
    private static double Median(IEnumerable<long> values) => Median(values.Select(v => (double)v));

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static SimulatePerDevice PerDeviceCost(IReadOnlyList<FleetSyncClient> clients, IReadOnlyList<SignedEntryCodec> codecs, IReadOnlyList<EntrySigner> signers)
    {
        SyncStatistics[] stats = [.. clients.Select(c => c.Statistics)];
        return new SimulatePerDevice(Median(stats.Select(s => s.Received)), Median(stats.Select(s => s.ReceivedBytes)), Median(stats.Select(s => s.Verified)),
            stats.Max(s => s.Received), stats.Max(s => s.ReceivedBytes))
        {
            SignatureChecksMedian = Median(clients.Select((c, i) => codecs[i].Roots.SignatureChecks + c.AggregateSignatureChecks)),
            SignaturesMadeMedian = Median(signers.Select(s => s.SignatureCount)),
        };
    }

    /// <summary>Synthetic data: each device's learned classes and the centralised means (double precision over every sample of every honest device).</summary>
    private (PrototypeMemory[] Memories, double[][] Central, long[] CentralCount) Generate(EmbeddingSpace space)
    {
        var random = new Random(Seed);
        float[][] centres = [.. Enumerable.Range(0, Classes).Select(_ => Gaussian(random, Dimension, 1.0, null))];
        var central = new double[Classes][];
        var centralCount = new long[Classes];
        var memories = new PrototypeMemory[Devices];
        for (int i = 0; i < Devices; i++)
            memories[i] = new PrototypeMemory(space, new PrototypeMemoryOptions { MaxClasses = Math.Max(Classes, 16) });
        for (int c = 0; c < Classes; c++)
        {
            central[c] = new double[Dimension];
            for (int i = 0; i < Devices; i++)
            {
                if (!Overlap && c % Devices != i)
                    continue;
                for (int s = 0; s < SamplesPerClass; s++)
                {
                    float[] x = Gaussian(random, Dimension, 0.5, centres[c]);
                    memories[i].Add(Label(c), x);
                    if (IsCompromised(i))
                        continue;
                    for (int k = 0; k < Dimension; k++)
                        central[c][k] += x[k];
                    centralCount[c]++;
                }
            }
            for (int k = 0; k < Dimension; k++)
                central[c][k] /= Math.Max(1, centralCount[c]);
        }
        return (memories, central, centralCount);
    }

    private static string Label(int c) => $"class-{c:D4}";

    private static float[] Gaussian(Random random, int dimension, double sigma, float[]? centre)
    {
        var x = new float[dimension];
        for (int k = 0; k < dimension; k++)
        {
            // Box–Muller.
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            double z = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            x[k] = (float)((centre?[k] ?? 0) + sigma * z);
        }
        return x;
    }
}
