using System.Text;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Aggregation;
using EdgeCL.Core.Fleet.Signing;
using EdgeCL.Core.Learning;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Rollout;
using EdgeCL.Core.Serialization;
using EdgeCL.Core.Vectors;
using EdgeCL.Fuzz.Targets;
using EdgeCL.Onnx.Audio;
using EdgeCL.Onnx.Graph;
using EdgeCL.Storage.State;
using EdgeCL.Sync.Commands;

namespace EdgeCL.Fuzz;

/// <summary>
/// Writes the seed corpus that ops/fuzz/make-seeds.sh commits under ops/fuzz/corpus: valid examples made by the project's
/// own writers, plus a truncated or corrupt copy of some. (Image seeds come from ImageMagick in make-seeds.sh; the
/// device.json seeds are the shipped device/configs.)
/// </summary>
internal static class SeedCorpus
{
    public static void Write(string root)
    {
        var space = new EmbeddingSpace(FuzzKeys.SpaceId, FuzzKeys.Dimension);
        FleetEntries(Folder(root, "fleet-entry"));
        FleetAggregates(Folder(root, "fleet-aggregate"), space);
        Commands(Folder(root, "command"));
        StateFiles(Folder(root, "state-file"), space);
        StateStores(Folder(root, "state-store"), space);
        Checkpoints(Folder(root, "checkpoint"), space);
        Wavs(Folder(root, "wav"));
        Pnm(Folder(root, "image-pnm"));
        NpyFiles(Folder(root, "npy"));
        Manifests(Folder(root, "manifest"));
        Models(Folder(root, "onnx"));
        Calibration(Folder(root, "calibration"), space);
    }

    private static string Folder(string root, string target)
    {
        string path = Path.Combine(root, target);
        Directory.CreateDirectory(path);
        return path;
    }

    private static void Save(string folder, string name, byte[] bytes, bool alsoTruncated = false)
    {
        File.WriteAllBytes(Path.Combine(folder, name), bytes);
        if (alsoTruncated && bytes.Length > 2)
            File.WriteAllBytes(Path.Combine(folder, "truncated-" + name), bytes[..(bytes.Length * 2 / 3)]);
    }

    private static float[] Vector(int seed)
    {
        var v = new float[FuzzKeys.Dimension];
        for (int i = 0; i < v.Length; i++)
            v[i] = MathF.Sin(seed + i) * 1.5f;
        return v;
    }

    private static void Calibration(string folder, EmbeddingSpace space)
    {
        var target = new EmbeddingSpace("0123abcd", 3);
        float[] source = [.. Vector(1), .. Vector(2), .. Vector(3)];
        float[] mapped = [1, 2, 3, -1, 0.5f, 2, 0, 0, -4];
        Save(folder, "three-pairs.eccal", CalibrationPairs.Create(space, target, source, mapped).Encode(), alsoTruncated: true);
    }

    private static void FleetEntries(string folder)
    {
        using EntrySigner signer = FuzzKeys.Device();
        FleetEntry Entry(string label, long version, long count) => new()
        {
            SpaceId = FuzzKeys.SpaceId, DeviceId = signer.DeviceId, Label = label, Version = version, Count = count,
            Mean = count == 0 ? [] : Vector((int)version),
        };
        Save(folder, "float32.bin", FleetEntryCodec.Encode(Entry("yes", 3, 12), FleetVectorType.Float32, signer), alsoTruncated: true);
        Save(folder, "float16.bin", FleetEntryCodec.Encode(Entry("gruß", 9, 4), FleetVectorType.Float16, signer));
        Save(folder, "tombstone.bin", FleetEntryCodec.Encode(Entry("no", 10, 0), FleetVectorType.Float32, signer));
        byte[] tampered = FleetEntryCodec.Encode(Entry("up", 2, 5), FleetVectorType.Float32, signer);
        tampered[^70] ^= 0x40;
        Save(folder, "tampered.bin", tampered);
        // A flush of five classes under one batch signature (SignedPayload): a leaf with a full path, the promoted last
        // leaf of the odd tree, and a copy with one path bit flipped.
        byte[][] batch = FleetEntryCodec.EncodeBatch([Entry("a", 1, 2), Entry("b", 2, 1), Entry("c", 3, 0), Entry("d", 4, 3), Entry("e", 5, 1)],
            FleetVectorType.Float16, signer);
        Save(folder, "batch-first.bin", batch[0], alsoTruncated: true);
        Save(folder, "batch-promoted.bin", batch[4]);
        byte[] badPath = (byte[])batch[1].Clone();
        badPath[^(SignedPayload.BatchTrailerBytes + 1)] ^= 0x01;
        Save(folder, "batch-bad-path.bin", badPath);
        // The same flush as a device publishing bundles sends it (protos/{device}/s0).
        Save(folder, "bundle.bin", FleetBundleCodec.Encode([batch[0], batch[2], batch[4]]), alsoTruncated: true);
    }

    private static void FleetAggregates(string folder, EmbeddingSpace space)
    {
        using EntrySigner aggregator = FuzzKeys.Device();
        var state = new FleetState(space);
        state.Merge(new FleetEntry { SpaceId = space.Id, DeviceId = FuzzKeys.ViewerId, Label = "yes", Version = 2, Count = 3, Mean = Vector(2) });
        state.Merge(new FleetEntry { SpaceId = space.Id, DeviceId = "pi-02", Label = "yes", Version = 5, Count = 4, Mean = Vector(5) });
        state.Merge(new FleetEntry { SpaceId = space.Id, DeviceId = "pi-02", Label = "no", Version = 1, Count = 0, Mean = [] });
        FleetAggregate yes = FleetAggregation.Build(state, "yes", aggregator.DeviceId)!;
        Save(folder, "aggregate.bin", FleetAggregateCodec.Encode(yes, aggregator), alsoTruncated: true);
        Save(folder, "tombstone.bin", FleetAggregateCodec.Encode(FleetAggregation.Build(state, "no", aggregator.DeviceId)!, aggregator));
        var capped = new FleetState(space, FleetAggregateTarget.CappedPolicy);
        capped.Merge(state);
        Save(folder, "aggregate-capped.bin", FleetAggregateCodec.Encode(FleetAggregation.Build(capped, "yes", aggregator.DeviceId)!, aggregator), alsoTruncated: true);
        Save(folder, "receipt.bin", AggregateReceiptCodec.Encode(new AggregateReceipt
        {
            SpaceId = space.Id, AggregatorId = aggregator.DeviceId, DeviceId = FuzzKeys.ViewerId,
            Lines = [new AggregateReceiptLine("yes", yes.VersionSum, yes.DigestPrefix, 2)],
        }, aggregator), alsoTruncated: true);
        // One publish cycle signed once (SignedPayload): two aggregates, a capped one and a receipt in one tree.
        byte[][] cycle = SignedPayload.SignBatch(
        [
            FleetAggregateCodec.EncodeBody(yes, aggregator), FleetAggregateCodec.EncodeBody(FleetAggregation.Build(state, "no", aggregator.DeviceId)!, aggregator),
            FleetAggregateCodec.EncodeBody(FleetAggregation.Build(capped, "yes", aggregator.DeviceId)!, aggregator),
            AggregateReceiptCodec.EncodeBody(new AggregateReceipt
            {
                SpaceId = space.Id, AggregatorId = aggregator.DeviceId, DeviceId = FuzzKeys.ViewerId,
                Lines = [new AggregateReceiptLine("yes", yes.VersionSum, yes.DigestPrefix, 2)],
            }, aggregator),
        ], aggregator);
        Save(folder, "batch-aggregate.bin", cycle[0], alsoTruncated: true);
        Save(folder, "batch-aggregate-capped.bin", cycle[2]);
        Save(folder, "batch-receipt.bin", cycle[3], alsoTruncated: true);
    }

    private static void Commands(string folder)
    {
        using EntrySigner op = FuzzKeys.Operator();
        DateTimeOffset expires = CommandTarget.Now.AddMinutes(5);
        var commands = new (string Name, FleetCommand Command)[]
        {
            ("forget", new FleetCommand(FleetCommandKind.ForgetClass, FuzzKeys.DeviceId, Label: "yes")),
            ("backbone", new FleetCommand(FleetCommandKind.NewBackbone, FuzzKeys.DeviceId, Backbone: "mobilenet", SpaceId: "ab12")),
            ("teach", new FleetCommand(FleetCommandKind.Teach, FuzzKeys.DeviceId, Label: "cat", Id: "t-1")),
            ("rebirth", new FleetCommand(FleetCommandKind.Rebirth, FuzzKeys.DeviceId)),
        };
        foreach ((string name, FleetCommand command) in commands)
        {
            byte[] envelope = SignedCommands.Sign(command, FuzzKeys.Fleet, op, expires);
            Save(folder, name + "-envelope.json", envelope);
            // The signed body alone: the target signs each input as a body too, so this reaches the body checks.
            using var json = System.Text.Json.JsonDocument.Parse(envelope);
            Save(folder, name + "-body.json", json.RootElement.GetProperty("body").GetBytesFromBase64());
        }
        Save(folder, "v1-forget.json", commands[0].Command.ToPayload());
    }

    private static PrototypeMemory Memory(EmbeddingSpace space, CentringMode centring)
    {
        var memory = new PrototypeMemory(space, new PrototypeMemoryOptions { Centring = centring });
        if (centring == CentringMode.Supplied)
            memory.SetCentre(Vector(99));
        for (int c = 0; c < 3; c++)
            for (int s = 0; s < 2; s++)
                memory.Add("class-" + c, Vector((c * 10) + s));
        memory.Forget("class-2");
        return memory;
    }

    private static void StateFiles(string folder, EmbeddingSpace space)
    {
        Save(folder, "labelled-mean.ecls", PrototypeMemorySerializer.Serialize(Memory(space, CentringMode.LabelledMean)), alsoTruncated: true);
        Save(folder, "supplied-centre.ecls", PrototypeMemorySerializer.Serialize(Memory(space, CentringMode.Supplied)));
    }

    private static void StateStores(string folder, EmbeddingSpace space)
    {
        string scratch = Path.Combine(Path.GetTempPath(), $"edgecl-seed-{Environment.ProcessId}");
        Directory.CreateDirectory(scratch);
        try
        {
            string path = Path.Combine(scratch, "state.db");
            using (EntrySigner peer = FuzzKeys.Device())
            using (StateStore store = StateStore.Open(path, space, "pi-00"))
            {
                PrototypeMemory memory = Memory(space, CentringMode.LabelledMean);
                store.Commit(memory, ["class-0", "class-1", "class-2"]);
                var entry = new FleetEntry { SpaceId = space.Id, DeviceId = peer.DeviceId, Label = "yes", Version = 2, Count = 3, Mean = Vector(5) };
                store.SaveFleetEntry(entry, FleetEntryCodec.Encode(entry, FleetVectorType.Float32, peer));
            }
            Save(folder, "store.db", File.ReadAllBytes(path), alsoTruncated: true);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static void Checkpoints(string folder, EmbeddingSpace space)
    {
        foreach (string name in LearnerRegistry.CreateDefault().Names())
            if (CheckpointTarget.Adapted(name, space) is IAdaptationCheckpoint learner)
                Save(folder, name + ".ecta", learner.SaveAdaptation(), alsoTruncated: name == "t3a");
    }

    private static void Wavs(string folder)
    {
        var tone = new float[1600];
        for (int i = 0; i < tone.Length; i++)
            tone[i] = 8000f * MathF.Sin(i * 0.3f);
        Save(folder, "mono16-16k.wav", WavWriter.EncodeMono16(tone, 16_000), alsoTruncated: true);
        Save(folder, "mono16-8k.wav", WavWriter.EncodeMono16(tone.AsSpan(0, 400), 8_000));
        Save(folder, "stereo-float-44k.wav", Wav(channels: 2, rate: 44_100, bits: 32, format: 3, frames: 64));
        Save(folder, "mono8-22k.wav", Wav(channels: 1, rate: 22_050, bits: 8, format: 1, frames: 64));
        Save(folder, "extensible24.wav", Wav(channels: 1, rate: 48_000, bits: 24, format: 0xFFFE, frames: 48));
    }

    /// <summary>A RIFF/WAVE with a LIST chunk before the audio (PCM, IEEE float or WAVE_FORMAT_EXTENSIBLE).</summary>
    private static byte[] Wav(int channels, int rate, int bits, int format, int frames)
    {
        int block = channels * bits / 8;
        using var s = new MemoryStream();
        using var w = new BinaryWriter(s);
        w.Write("RIFF"u8);
        w.Write(0);
        w.Write("WAVE"u8);
        w.Write("LIST"u8);
        w.Write(4);
        w.Write("INFO"u8);
        w.Write("fmt "u8);
        w.Write(format == 0xFFFE ? 40 : 16);
        w.Write((ushort)format);
        w.Write((ushort)channels);
        w.Write(rate);
        w.Write(rate * block);
        w.Write((ushort)block);
        w.Write((ushort)bits);
        if (format == 0xFFFE)
        {
            w.Write((ushort)22);
            w.Write((ushort)bits);
            w.Write(4); // channel mask: front centre
            w.Write(new Guid("00000001-0000-0010-8000-00aa00389b71").ToByteArray()); // KSDATAFORMAT_SUBTYPE_PCM
        }
        w.Write("data"u8);
        w.Write(frames * block);
        var rng = new Random(3);
        for (int i = 0; i < frames * block; i++)
            w.Write((byte)rng.Next(256));
        w.Flush();
        byte[] bytes = s.ToArray();
        BitConverter.TryWriteBytes(bytes.AsSpan(4), bytes.Length - 8);
        return bytes;
    }

    private static void Pnm(string folder)
    {
        byte[] Binary(string header, int values, int scale)
        {
            var bytes = new List<byte>(Encoding.ASCII.GetBytes(header));
            for (int i = 0; i < values; i++)
                bytes.Add((byte)(i * scale % 256));
            return [.. bytes];
        }
        Save(folder, "grey.pgm", Binary("P5\n# fuzz seed\n4 3\n255\n", 12, 21), alsoTruncated: true);
        Save(folder, "rgb.ppm", Binary("P6\n3 2\n255\n", 18, 14));
        Save(folder, "grey16.pgm", Binary("P5 2 2 65535\n", 8, 37));
        Save(folder, "ascii.pgm", Encoding.ASCII.GetBytes("P2\n3 2\n15\n0 3 6\n9 12 15\n"));
        Save(folder, "ascii.ppm", Encoding.ASCII.GetBytes("P3\n2 1\n255\n255 0 0  0 0 255\n"));
        Save(folder, "bitmap.pbm", Encoding.ASCII.GetBytes("P1\n2 2\n0 1\n1 0\n"));
    }

    private static void NpyFiles(string folder)
    {
        using (var s = new MemoryStream())
        {
            Npy.Write(s, Vector(1).AsSpan(0, 6), [2, 3]);
            Save(folder, "matrix.npy", s.ToArray(), alsoTruncated: true);
        }
        using (var s = new MemoryStream())
        {
            Npy.Write(s, Vector(2), [FuzzKeys.Dimension]);
            Save(folder, "vector.npy", s.ToArray());
        }
    }

    private static void Manifests(string folder)
    {
        Save(folder, "audio.jsonl", Encoding.UTF8.GetBytes("""
            {"path": "a.wav", "label": "yes", "labelled": true}
            {"path": "b.wav", "label": "no", "domain": "kitchen", "shift": "white"}
            {"path": "a.wav", "label": "yes", "heldout": true}

            """));
        Save(folder, "images-tasks.jsonl", Encoding.UTF8.GetBytes("""
            {"path": "c.png", "label": "cat", "labelled": true, "task": 0}
            {"path": "d.png", "label": "dog", "task": 1, "domain": "night", "shift": "fog:3"}

            """), alsoTruncated: true);
    }

    private static void Models(string folder)
    {
        Save(folder, "linear.onnx", TinyModels.LinearEmbedder(4, 3, seed: 1).Bytes, alsoTruncated: true);
        Save(folder, "conv-bn.onnx", TinyModels.ConvBnEmbedder(1, 4, 4, 2, seed: 2).Bytes);
        Save(folder, "not-embedder.onnx", TinyModels.NotAnEmbedder(int64Output: true).Bytes);
    }
}
