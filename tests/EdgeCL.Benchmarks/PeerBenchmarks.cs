using System.Diagnostics;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Json;
using EdgeCL.Core.Learning;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Benchmarks;

/// <summary>
/// The EdgeCL half of ops/measure/peers.py: times EdgeCL on the .npy files the Python peers use and writes JSON
/// (median ns per query, batch 1, this one thread) with the results, so the script can check they agree.
/// </summary>
/// <remarks>
/// <c>knn-peer --matrix M.npy --queries Q.npy --k 5 --out R.json</c>: top-k cosine search, KnnLearner.Predict and
/// one sequential read of the matrix (the bandwidth limit), interleaved round by round.
/// <c>nmc-peer --support S.npy --labels L.txt --queries Q.npy --out R.json</c>: PrototypeMemory.Predict (cosine, CL2N).
/// <c>state-bytes --support S.npy --labels L.txt --queries Q.npy --out R.json</c>: each adaptive learner's
/// checkpoint size (IAdaptationCheckpoint) after learning the support and observing the queries.
/// <c>openset-peer --support S.npy --labels L.txt --queries Q.npy --unknown U.npy --threshold T --out R.json</c>: the
/// open-set verdict of an <c>ncm-centred</c> NcmLearner (PeerBenchmarks.OpenSet.cs).
/// </remarks>
internal static partial class PeerBenchmarks
{
    public static bool IsPeerMode(string mode) => mode is "knn-peer" or "nmc-peer" or "state-bytes" or "openset-peer";

    public static int Run(string[] args)
    {
        try
        {
            return RunMode(args);
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or KeyNotFoundException or FormatException)
        {
            Console.Error.WriteLine($"{args[0]}: {e.Message} (usage: see PeerBenchmarks.cs; ops/measure/peers.py runs these modes)");
            return 2;
        }
    }

    private static int RunMode(string[] args)
    {
        var options = Options(args);
        int rounds = int.Parse(options.GetValueOrDefault("rounds", "7"), System.Globalization.CultureInfo.InvariantCulture);
        using var stream = File.Create(options["out"]);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
        json.WriteStartObject();
        json.WriteNumber("rounds", rounds);
        json.WriteString("vector512", Vector512.IsHardwareAccelerated ? "yes" : "no");
        switch (args[0])
        {
            case "knn-peer": Knn(options, rounds, json); break;
            case "nmc-peer": Nmc(options, rounds, json); break;
            case "openset-peer": OpenSetPeer(options, rounds, json); break;
            default: StateBytes(options, json); break;
        }
        json.WriteEndObject();
        return 0;
    }

    private static void Knn(Dictionary<string, string> options, int rounds, Utf8JsonWriter json)
    {
        var (matrix, rows, d) = Npy.ReadMatrix(options["matrix"]);
        var (queries, count, qd) = Npy.ReadMatrix(options["queries"]);
        if (qd != d)
            throw new InvalidDataException($"Queries have {qd} columns, the matrix {d}.");
        int k = int.Parse(options.GetValueOrDefault("k", "5"), System.Globalization.CultureInfo.InvariantCulture);
        var q = new float[d];
        var idx = new int[k];
        var val = new float[k];
        var allIdx = new int[count * k];
        var allVal = new float[count * k];
        // The kNN memory as a learner holds it: 100 classes, knn.k = k, every row learned.
        var learner = new KnnLearner(new EmbeddingSpace("fee5", d), LearnerOptions.Default with
        {
            Parameters = new Dictionary<string, string>(StringComparer.Ordinal) { [KnnLearner.NeighboursKey] = k.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        });
        for (int r = 0; r < rows; r++)
            learner.Learn("c" + (r % 100).ToString(System.Globalization.CultureInfo.InvariantCulture), matrix.AsSpan(r * d, d));
        float sink = 0;
        void Search(int i)
        {
            queries.AsSpan(i * d, d).CopyTo(q);
            VectorKernels.NormalizeInPlace(q);
            RowSearch.TopK(matrix, d, rows, q, idx, val);
        }
        void Predict(int i) => sink += learner.Predict(queries.AsSpan(i * d, d)).Score;
        var ops = new (string Name, Action<int> Op)[]
        {
            ("search", Search), ("predict", Predict),
            ("seqread_vector4", _ => sink += SequentialSum(matrix, 0)), ("seqread_vector8", _ => sink += SequentialSum(matrix, 1)),
            ("seqread_512x8", _ => sink += SequentialSum(matrix, 2)), ("seqread_primitives", _ => sink += TensorPrimitives.Sum(matrix)),
        };
        Measure(ops, count, rounds, json);
        for (int i = 0; i < count; i++)
        {
            Search(i);
            idx.CopyTo(allIdx, i * k);
            val.CopyTo(allVal, i * k);
        }
        json.WriteNumber("rows", rows);
        json.WriteNumber("dim", d);
        json.WriteNumber("k", k);
        json.WriteNumber("matrix_bytes", 4L * rows * d);
        json.WriteNumber("knn_learner_bytes", learner.MemoryBytes);
        WriteArray(json, "topk", allIdx);
        WriteArray(json, "topk_scores", allVal);
        json.WriteNumber("sink", sink);
    }

    private static void Nmc(Dictionary<string, string> options, int rounds, Utf8JsonWriter json)
    {
        var (support, rows, d) = Npy.ReadMatrix(options["support"]);
        string[] labels = File.ReadAllLines(options["labels"]);
        var (queries, count, _) = Npy.ReadMatrix(options["queries"]);
        var memory = new PrototypeMemory(new EmbeddingSpace("fee5", d));
        for (int r = 0; r < rows; r++)
            memory.Add(labels[r], support.AsSpan(r * d, d));
        var predicted = new string[count];
        void Predict(int i) => predicted[i] = memory.Predict(queries.AsSpan(i * d, d)).Label;
        Measure([("nmc_predict", Predict)], count, rounds, json);
        json.WriteNumber("classes", memory.ClassCount);
        json.WriteNumber("dim", d);
        json.WriteStartArray("predictions");
        foreach (string p in predicted)
            json.WriteStringValue(p);
        json.WriteEndArray();
    }

    private static void StateBytes(Dictionary<string, string> options, Utf8JsonWriter json)
    {
        var (support, rows, d) = Npy.ReadMatrix(options["support"]);
        string[] labels = File.ReadAllLines(options["labels"]);
        var (queries, count, _) = Npy.ReadMatrix(options["queries"]);
        var space = new EmbeddingSpace("fee5", d);
        json.WriteNumber("dim", d);
        json.WriteNumber("classes", labels.Take(rows).Distinct(StringComparer.Ordinal).Count());
        json.WriteNumber("observed", count);
        json.WriteStartArray("methods");
        foreach (LearnerDescriptor descriptor in LearnerRegistry.CreateDefault().Learners.Where(l => l.Adapts))
        {
            IStreamLearner learner = descriptor.Factory(space, LearnerOptions.Default);
            for (int r = 0; r < rows; r++)
                learner.Learn(labels[r], support.AsSpan(r * d, d));
            for (int i = 0; i < count; i++)
                learner.Observe(queries.AsSpan(i * d, d));
            json.WriteStartObject();
            json.WriteString("name", descriptor.Name);
            json.WriteNumber("checkpoint_bytes", learner is IAdaptationCheckpoint c ? c.SaveAdaptation().Length : -1);
            if (learner is EdgeCL.Core.Learning.Adaptation.AdaNpcLearner adanpc)
            {
                json.WriteNumber("resident_row_bytes", adanpc.MemoryBytes);
                json.WriteNumber("test_rows", adanpc.TestCount);
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    /// <summary>Each round runs every op over all queries in turn; writes the median and minimum ns per query and bytes allocated per query.</summary>
    private static void Measure((string Name, Action<int> Op)[] ops, int count, int rounds, Utf8JsonWriter json)
    {
        var times = new double[ops.Length][];
        var alloc = new double[ops.Length];
        for (int o = 0; o < ops.Length; o++)
        {
            times[o] = new double[rounds];
            for (int i = 0; i < Math.Min(count, 16); i++)
                ops[o].Op(i); // warm-up: first calls, caches
        }
        for (int r = 0; r < rounds; r++)
        {
            for (int o = 0; o < ops.Length; o++)
            {
                long bytes = GC.GetAllocatedBytesForCurrentThread();
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < count; i++)
                    ops[o].Op(i);
                times[o][r] = Stopwatch.GetElapsedTime(start).TotalNanoseconds / count;
                alloc[o] = Math.Max(alloc[o], (double)(GC.GetAllocatedBytesForCurrentThread() - bytes) / count);
            }
        }
        for (int o = 0; o < ops.Length; o++)
        {
            double[] sorted = times[o].Order().ToArray();
            json.WriteNumber(ops[o].Name + "_ns", sorted[sorted.Length / 2]);
            json.WriteNumber(ops[o].Name + "_min_ns", sorted[0]);
            json.WriteNumber(ops[o].Name + "_alloc_bytes", alloc[o]);
        }
    }

    /// <summary>
    /// One read of every float, the fastest of three loops (Vector&lt;T&gt; with 4 and 8 accumulators, 512-bit with 8
    /// where the CPU has it): enough additions in flight that the loads, not the add latency, bound it.
    /// </summary>
    internal static float SequentialSum(ReadOnlySpan<float> data, int variant)
    {
        ref float p = ref MemoryMarshal.GetReference(data);
        nuint n = (nuint)data.Length, i = 0;
        float s;
        if (variant == 2 && Vector512.IsHardwareAccelerated)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            for (; i + 128 <= n; i += 128)
            {
                a0 += Vector512.LoadUnsafe(ref p, i); a1 += Vector512.LoadUnsafe(ref p, i + 16);
                a2 += Vector512.LoadUnsafe(ref p, i + 32); a3 += Vector512.LoadUnsafe(ref p, i + 48);
                a4 += Vector512.LoadUnsafe(ref p, i + 64); a5 += Vector512.LoadUnsafe(ref p, i + 80);
                a6 += Vector512.LoadUnsafe(ref p, i + 96); a7 += Vector512.LoadUnsafe(ref p, i + 112);
            }
            s = Vector512.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)));
        }
        else
        {
            nuint w = (nuint)Vector<float>.Count;
            Vector<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            if (variant == 0)
            {
                for (; i + 4 * w <= n; i += 4 * w)
                {
                    a0 += Vector.LoadUnsafe(ref p, i); a1 += Vector.LoadUnsafe(ref p, i + w);
                    a2 += Vector.LoadUnsafe(ref p, i + 2 * w); a3 += Vector.LoadUnsafe(ref p, i + 3 * w);
                }
            }
            else
            {
                for (; i + 8 * w <= n; i += 8 * w)
                {
                    a0 += Vector.LoadUnsafe(ref p, i); a1 += Vector.LoadUnsafe(ref p, i + w);
                    a2 += Vector.LoadUnsafe(ref p, i + 2 * w); a3 += Vector.LoadUnsafe(ref p, i + 3 * w);
                    a4 += Vector.LoadUnsafe(ref p, i + 4 * w); a5 += Vector.LoadUnsafe(ref p, i + 5 * w);
                    a6 += Vector.LoadUnsafe(ref p, i + 6 * w); a7 += Vector.LoadUnsafe(ref p, i + 7 * w);
                }
            }
            s = Vector.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)));
        }
        for (; i < n; i++)
            s += data[(int)i];
        return s;
    }

    private static void WriteArray<T>(Utf8JsonWriter json, string name, T[] values)
    {
        json.WriteStartArray(name);
        foreach (T v in values)
        {
            if (v is int n) json.WriteNumberValue(n);
            else if (v is float f) json.WriteNumberValue(f);
        }
        json.WriteEndArray();
    }

    private static Dictionary<string, string> Options(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
                throw new ArgumentException($"Expected --name value, got '{args[i]}'.");
            options[args[i][2..]] = args[i + 1];
        }
        if (!options.ContainsKey("out"))
            throw new ArgumentException("--out FILE is required.");
        return options;
    }
}
