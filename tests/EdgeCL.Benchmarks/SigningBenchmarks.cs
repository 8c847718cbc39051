using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Signing;

namespace EdgeCL.Benchmarks;

/// <summary>Batch (Merkle) signatures against one ECDSA P-256 signature per message (docs/fleet-aggregation.md).</summary>
internal static class SigningBenchmarks
{
    private const int Flush = 100; // a device flushing 100 classes; an aggregator cycle of 100 aggregates

    public static void Run()
    {
        Console.WriteLine($"== fleet signatures: a {Flush}-message batch vs one signature per message (96-d fp16 entries; ratio = alone / batched)");
        using EntrySigner signer = EntrySigner.Create("pi-01");
        using var trust = new TrustStore();
        trust.Add("pi-01", signer.ExportPublicKeyPem());
        FleetEntry[] entries = [.. Enumerable.Range(0, Flush).Select(i => new FleetEntry
        {
            SpaceId = "0123456789abcdef", DeviceId = "pi-01", Label = $"class-{i:D3}", Version = i + 1, Count = 3,
            Mean = KernelBenchmarks.Vector(new Random(i), 96),
        })];
        byte[][] alone = [.. entries.Select(e => FleetEntryCodec.Encode(e, FleetVectorType.Float16, signer))];
        byte[][] batch = FleetEntryCodec.EncodeBatch(entries, FleetVectorType.Float16, signer);
        var cache = new VerifiedRootCache();
        int i = 0, j = 0;
        // Receiving: after the first message of a batch, the others cost the leaf hash and at most 7 path hashes.
        Harness.Report(Harness.Compare("verify a batch-signed entry (root cached)", () => trust.VerifyPayload("pi-01", batch[i++ % Flush], cache),
                "verify a single-signed entry (ECDSA)", () => trust.VerifyPayload("pi-01", alone[j++ % Flush])),
            "speed-up", "goal > 10, 0 B/op", baselineOverCandidate: true);
        // A bundle is read in leaf order: each message is proven where its path meets the last verified one (about 2
        // hashes); scattered, the paths meet near the root (up to 7). Both on the same cached root.
        int k = 0, m = 0;
        Harness.Report(Harness.Compare("verify a batch in leaf order (last path reused)", () => trust.VerifyPayload("pi-01", batch[k++ % Flush], cache),
                "verify a batch in scattered order", () => trust.VerifyPayload("pi-01", batch[(m++ * 37) % Flush], cache)),
            "speed-up", "goal > 1.5, 0 B/op", baselineOverCandidate: true);
        // Sending: one flush of 100 entries.
        Harness.Report(Harness.Compare($"encode + sign {Flush} entries as one batch", () => FleetEntryCodec.EncodeBatch(entries, FleetVectorType.Float16, signer),
                $"encode + sign {Flush} entries alone", () =>
                {
                    foreach (FleetEntry e in entries)
                        FleetEntryCodec.Encode(e, FleetVectorType.Float16, signer);
                }),
            "speed-up", "goal > 10", baselineOverCandidate: true);
    }
}
