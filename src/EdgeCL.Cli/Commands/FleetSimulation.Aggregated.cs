using System.Diagnostics;
using EdgeCL.Cli.Output;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Aggregation;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;
using EdgeCL.Sync.Aggregation;
using EdgeCL.Sync.Broker;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.State;

namespace EdgeCL.Cli.Commands;

// --aggregators N: devices receive per-class aggregates and their own receipts instead of every entry (docs/fleet-aggregation.md).
internal sealed partial class FleetSimulation
{
    private async Task<SimulateResult> RunAggregatedAsync(EmbeddingSpace space, string[] ids, CancellationToken cancellationToken)
    {
        string[] aggregatorIds = [.. Enumerable.Range(0, Aggregators).Select(i => $"agg-{i}")];
        (EmbeddedBroker? embedded, FleetBrokerOptions endpoint) = await StartBrokerAsync([.. ids, .. aggregatorIds], cancellationToken).ConfigureAwait(false);
        string fleet = NewFleetName();
        var vectorType = Fp16 ? FleetVectorType.Float16 : FleetVectorType.Float32;

        EntrySigner[] signers = [.. ids.Select(EntrySigner.Create)];
        EntrySigner[] aggregatorSigners = [.. aggregatorIds.Select(EntrySigner.Create)];
        var owned = new List<IDisposable>(signers);
        owned.AddRange(aggregatorSigners);
        var aggregators = new FleetAggregator[Aggregators];
        var clients = new FleetSyncClient[Devices];
        var targets = new AggregateStateTarget[Devices];
        var codecs = new SignedEntryCodec[Devices];
        try
        {
            // An aggregator verifies every device; a device needs only its own key (to read back its own payloads) and the aggregators'.
            string[] aggregatorPems = [.. aggregatorSigners.Select(s => s.ExportPublicKeyPem())];
            for (int a = 0; a < Aggregators; a++)
            {
                var everyDevice = new TrustStore();
                owned.Add(everyDevice);
                for (int i = 0; i < Devices; i++)
                    everyDevice.Add(ids[i], signers[i].ExportPublicKeyPem());
                aggregators[a] = new FleetAggregator(new FleetAggregatorOptions
                {
                    Sync = SimulatedSync(new FleetSyncOptions
                    {
                        Fleet = fleet, DeviceId = aggregatorIds[a], Space = space, Broker = Login(endpoint, embedded, aggregatorIds[a]), ReceiveQueueCapacity = 65536,
                        MergePolicy = Policy,
                    }),
                    Quiet = TimeSpan.FromMilliseconds(50),
                    MaxDelay = TimeSpan.FromMilliseconds(500),
                }, aggregatorSigners[a], everyDevice);
            }
            for (int i = 0; i < Devices; i++)
            {
                var own = new TrustStore();
                var trustedAggregators = new TrustStore();
                owned.Add(own);
                owned.Add(trustedAggregators);
                own.Add(ids[i], signers[i].ExportPublicKeyPem());
                for (int a = 0; a < Aggregators; a++)
                    trustedAggregators.Add(aggregatorIds[a], aggregatorPems[a]);
                targets[i] = new AggregateStateTarget(new AggregateView(space, ids[i], Policy));
                clients[i] = new FleetSyncClient(SimulatedSync(new FleetSyncOptions
                {
                    Fleet = fleet, DeviceId = ids[i], Space = space, Broker = Login(endpoint, embedded, ids[i]),
                    Receive = FleetReceiveMode.Aggregates, AggregateBundles = Bundles, PublishBundles = Bundles, AggregatorKeys = trustedAggregators, TrackDeviceStatus = false,
                    ReceiveQueueCapacity = 1024, MergePolicy = Policy,
                }), codecs[i] = new SignedEntryCodec(signers[i], own, vectorType), targets[i]);
            }

            (PrototypeMemory[] memories, double[][] central, long[] centralCount) = Generate(space);
            FleetEntry[][] entries = [.. Enumerable.Range(0, Devices).Select(i => EntriesOf(i, ids[i], memories[i], central))];
            int expectedEntries = entries.Sum(e => e.Length);
            // What every device must end with: the exact merge of every entry as it travels (fp16 rounding included).
            var expected = new FleetState(space, Policy);
            foreach (FleetEntry e in entries.SelectMany(x => x))
                expected.Merge(Fp16 && !e.IsTombstone ? e with { Mean = Array.ConvertAll(e.Mean, x => (float)(Half)x) } : e);
            var expectedByLabel = new Dictionary<string, (long Version, uint[] Bits)>(StringComparer.Ordinal);
            float[] mean = new float[Dimension];
            foreach (string label in expected.Labels)
            {
                expected.TryGetPrototype(label, mean, out _, out long version);
                expectedByLabel[label] = (version, Array.ConvertAll(mean, BitConverter.SingleToUInt32Bits));
            }

            var clock = Stopwatch.StartNew();
            foreach (FleetAggregator a in aggregators)
                await a.StartAsync(cancellationToken).ConfigureAwait(false);
            foreach (FleetSyncClient client in clients)
                await client.StartAsync(cancellationToken).ConfigureAwait(false);
            await Task.WhenAll(clients.Select(c => c.WaitUntilConnectedAsync(cancellationToken)).Concat(aggregators.Select(a => a.Client.WaitUntilConnectedAsync(cancellationToken))))
                .WaitAsync(Timeout, cancellationToken).ConfigureAwait(false);
            double connectSeconds = clock.Elapsed.TotalSeconds;
            Say($"{Devices} devices and {Aggregators} aggregator(s) connected to {(embedded is null ? Broker : $"embedded broker :{embedded.Port}")} in {connectSeconds:F2} s; publishing {expectedEntries} entries ({Dimension}-d, {(Fp16 ? "fp16" : "fp32")}, {(Overlap ? "overlapping" : "disjoint")} classes); devices publish entries and receive aggregates {(Bundles ? "in bundles" : "one message per class")}");

            // A device is done when every class reads from an aggregate, bit-identical to the expected merge. Checked
            // only for devices whose view changed since their last check.
            var dirty = new int[Devices];
            var done = new bool[Devices];
            for (int i = 0; i < Devices; i++)
            {
                int index = i;
                clients[i].AggregateChanged += (_, _) => Volatile.Write(ref dirty[index], 1);
            }

            long publishStart = clock.ElapsedTicks;
            TimeSpan cpuStart = Process.GetCurrentProcess().TotalProcessorTime, pauseStart = GC.GetTotalPauseDuration();
            long allocatedStart = GC.GetTotalAllocatedBytes();
            // Each device flushes what it learned at once: one batch signature per device (SignedPayload).
            await Parallel.ForAsync(0, Devices, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
                async (i, token) => await clients[i].PublishBatchAsync(entries[i], token).ConfigureAwait(false)).ConfigureAwait(false);
            long lastUpdate = clock.ElapsedTicks;
            int remaining = Devices;
            long converged = lastUpdate, allEntries = 0, firstAggregates = 0, halfTheDevices = 0;
            while (remaining > 0)
            {
                // Where the time goes: when the aggregators have merged every entry (their verify queue is drained), when
                // they first publish, when half the devices are done.
                if (allEntries == 0 && aggregators.All(a => a.Client.Statistics.Merged >= expectedEntries))
                    allEntries = clock.ElapsedTicks;
                if (firstAggregates == 0 && aggregators.Any(a => a.AggregatesPublished > 0))
                    firstAggregates = clock.ElapsedTicks;
                if (halfTheDevices == 0 && remaining <= Devices / 2)
                    halfTheDevices = clock.ElapsedTicks;
                if (clock.Elapsed > Timeout)
                    throw new TimeoutException($"The fleet did not converge within {Timeout.TotalSeconds:0} s: {remaining} of {Devices} devices do not yet hold every class exactly from an aggregate; raise --timeout or check the broker's queue limits (mosquitto max_queued_messages).");
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
                for (int i = 0; i < Devices; i++)
                {
                    if (done[i] || Interlocked.Exchange(ref dirty[i], 0) == 0)
                        continue;
                    if (Exact(targets[i], expectedByLabel, mean))
                    {
                        done[i] = true;
                        remaining--;
                        converged = clock.ElapsedTicks;
                    }
                }
            }

            double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds;
            double pauseSeconds = (GC.GetTotalPauseDuration() - pauseStart).TotalSeconds, allocatedMiB = (GC.GetTotalAllocatedBytes() - allocatedStart) / 1048576.0;
            double maxDifference = 0;
            for (int c = 0; c < Classes; c++)
            {
                if (centralCount[c] == 0)
                    continue;
                uint[] bits = expectedByLabel[Label(c)].Bits;
                for (int k = 0; k < Dimension; k++)
                    maxDifference = Math.Max(maxDifference, Math.Abs(BitConverter.UInt32BitsToSingle(bits[k]) - central[c][k]));
            }
            // Bytes the devices published per entry they taught (a bundle carries many).
            double bytesPerEntry = expectedEntries == 0 ? 0 : (double)clients.Sum(c => c.Statistics.PublishedBytes) / expectedEntries;
            long drops = clients.Sum(c => c.Statistics.Drops.Values.Sum()) + aggregators.Sum(a => a.Client.Statistics.Drops.Values.Sum());
            // What the full sync cost, read before the single changes add their traffic (once the aggregators have counted
            // the receipts the devices already hold: the counters move after the broker's acknowledgements).
            await Task.WhenAll(aggregators.Select(a => a.WaitUntilIdleAsync(cancellationToken))).WaitAsync(Timeout, cancellationToken).ConfigureAwait(false);
            SimulatePerDevice perDevice = PerDeviceCost(clients, codecs, signers);
            var aggregatorCost = new SimulateAggregators(aggregators.Sum(a => a.Client.Statistics.Received), aggregators.Sum(a => a.Client.Statistics.Verified),
                aggregators.Sum(a => a.AggregatesPublished), aggregators.Sum(a => a.ReceiptsPublished))
            {
                SignatureChecks = aggregators.Sum(a => a.EntrySignatureChecks),
                SignaturesMade = aggregators.Sum(a => a.SignaturesMade),
                SecondsToAllEntries = allEntries == 0 ? 0 : (double)(allEntries - publishStart) / Stopwatch.Frequency,
                SecondsToFirstAggregates = firstAggregates == 0 ? null : (double)(firstAggregates - publishStart) / Stopwatch.Frequency,
                SecondsToHalfTheDevices = (double)((halfTheDevices == 0 ? converged : halfTheDevices) - publishStart) / Stopwatch.Frequency,
            };
            int hijacked = CountHijacked(label => Array.ConvertAll(expectedByLabel[label].Bits, BitConverter.UInt32BitsToSingle), central, centralCount);
            SimulateChanges? changes = Changes > 0 ? await RunChangesAsync(clients, targets, entries, expected, expectedByLabel, mean, cancellationToken).ConfigureAwait(false) : null;
            double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;
            return new SimulateResult(embedded is null ? Broker : "embedded", Devices, Classes, Dimension, Fp16 ? "fp16" : "fp32", Overlap, SamplesPerClass,
                expectedEntries, connectSeconds, Seconds(lastUpdate - publishStart), Seconds(converged - lastUpdate), Seconds(converged - publishStart),
                Identical: true, bytesPerEntry, bytesPerEntry / (Dimension * 2.0), maxDifference, clients.Sum(c => c.Statistics.Received), drops)
            {
                Aggregators = Aggregators,
                PerDevice = perDevice,
                AggregatorCost = aggregatorCost,
                CpuSeconds = cpuSeconds,
                GcPauseSeconds = pauseSeconds,
                AllocatedMib = allocatedMiB,
                VerifyMicroseconds = TimeVerification(signers[0], entries[0].FirstOrDefault(), vectorType),
                Cap = Cap,
                MaxNorm = MaxNorm,
                Policy = Policy.ToString(),
                Compromised = Compromised,
                HijackedClasses = hijacked,
                Changes = changes,
            };
        }
        finally
        {
            await Task.WhenAll(clients.Where(c => c is not null).Select(c => c.DisposeAsync().AsTask())
                .Concat(aggregators.Where(a => a is not null).Select(a => a.DisposeAsync().AsTask()))).ConfigureAwait(false);
            foreach (IDisposable d in owned)
                d.Dispose();
            if (embedded is not null)
                await embedded.DisposeAsync().ConfigureAwait(false);
        }
    }

    // Thousands of clients in one process on a shared machine: a ping can wait seconds for a thread, and a reconnect
    // would trigger a rebirth storm the measurement does not ask for. A real device runs one client with the defaults.
    private static FleetSyncOptions SimulatedSync(FleetSyncOptions options) => options with
    {
        ConnectTimeout = TimeSpan.FromSeconds(30), OperationTimeout = TimeSpan.FromSeconds(60), KeepAlive = TimeSpan.FromSeconds(120),
        HealthCheckInterval = TimeSpan.FromSeconds(60),
    };

    private static bool Exact(AggregateStateTarget target, Dictionary<string, (long Version, uint[] Bits)> expected, float[] mean)
    {
        lock (target.SyncRoot)
        {
            foreach ((string label, (long Version, uint[] Bits) held) in expected)
                if (!Matches(target.View, label, held, mean))
                    return false;
            return true;
        }
    }

    // The class reads from an aggregate (its receipt confirmed), at the expected version, bit for bit.
    private static bool Matches(AggregateView view, string label, (long Version, uint[] Bits) expected, float[] mean)
    {
        if (!view.TryGetPrototype(label, mean, out _, out long held, out AggregateViewSource source) || source != AggregateViewSource.Aggregate || held != expected.Version)
            return false;
        for (int k = 0; k < expected.Bits.Length; k++)
            if (BitConverter.SingleToUInt32Bits(mean[k]) != expected.Bits[k])
                return false;
        return true;
    }

    /// <summary>Median µs of one signature verification of a real entry payload (7 rounds of 100).</summary>
    internal static double TimeVerification(EntrySigner signer, FleetEntry? entry, FleetVectorType vectorType)
    {
        if (entry is null)
            return 0;
        byte[] payload = FleetEntryCodec.Encode(entry, vectorType, signer);
        using var trust = new TrustStore();
        trust.Add(signer.DeviceId, signer.ExportPublicKeyPem());
        var rounds = new double[7];
        for (int r = 0; r < rounds.Length; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < 100; i++)
                trust.VerifyPayload(signer.DeviceId, payload);
            rounds[r] = Stopwatch.GetElapsedTime(start).TotalMicroseconds / 100;
        }
        Array.Sort(rounds);
        return rounds[rounds.Length / 2];
    }
}
