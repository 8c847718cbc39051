using System.Globalization;
using System.Text.Json;
using EdgeCL.Core.Learning;
using EdgeCL.Core.Learning.OpenSet;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Benchmarks;

/// <summary>
/// <c>openset-peer</c>: the open-set head as a device runs it, for ops/measure/peers.py (open_set_hook,
/// ops/measure/peers_openset.py). An <c>ncm-centred</c> <see cref="NcmLearner"/> with
/// <c>LearnerOptions.OpenSet = { Threshold = --threshold }</c> learns the support (one label per row in --labels),
/// then predicts every query: the --queries rows (taught classes) followed by the --unknown rows (untaught ones).
/// </summary>
/// <remarks>
/// Writes <c>openset_ns</c> (median ns per query over --rounds interleaved rounds, batch 1, this thread),
/// <c>openset_alloc_bytes</c> (GC.GetAllocatedBytesForCurrentThread per query, worst round), and per query in that
/// order <c>accepted</c> (Prediction.Accepted), <c>score</c> (Prediction.GateScore) and <c>predicted</c> (the
/// nearest class, also for rejected queries).
/// </remarks>
internal static partial class PeerBenchmarks
{
    private static void OpenSetPeer(Dictionary<string, string> options, int rounds, Utf8JsonWriter json)
    {
        var (support, rows, d) = Npy.ReadMatrix(options["support"]);
        string[] labels = File.ReadAllLines(options["labels"]);
        if (labels.Length < rows)
            throw new InvalidDataException($"{options["labels"]} has {labels.Length} labels for {rows} support rows.");
        var (known, knownCount, kd) = Npy.ReadMatrix(options["queries"]);
        var (unknown, unknownCount, ud) = Npy.ReadMatrix(options["unknown"]);
        if (kd != d || ud != d)
            throw new InvalidDataException($"Support has {d} columns, queries {kd}, unknown {ud}.");
        OpenSetOptions openSet = OpenSetOptions.Parse(options.GetValueOrDefault("threshold", OpenSetOptions.DefaultThreshold.ToString(CultureInfo.InvariantCulture)));

        var learner = new NcmLearner(new EmbeddingSpace("fee5", d), CentringMode.LabelledMean, new LearnerOptions { OpenSet = openSet });
        if (learner.Name != NcmLearner.CentredName)
            throw new InvalidOperationException($"Expected an {NcmLearner.CentredName} learner, got {learner.Name}.");
        for (int r = 0; r < rows; r++)
            learner.Learn(labels[r], support.AsSpan(r * d, d));

        int count = knownCount + unknownCount;
        var queries = new float[count * d];
        known.CopyTo(queries, 0);
        unknown.CopyTo(queries, knownCount * d);
        var accepted = new bool[count];
        var scores = new float[count];
        var predicted = new string[count];
        void Predict(int i)
        {
            Prediction p = learner.Predict(queries.AsSpan(i * d, d));
            accepted[i] = p.Accepted;
            scores[i] = p.GateScore;
            predicted[i] = p.Label;
        }
        Measure([("openset", Predict)], count, rounds, json);

        json.WriteString("learner", learner.Name);
        json.WriteNumber("threshold", openSet.Threshold);
        json.WriteNumber("classes", learner.ClassCount);
        json.WriteNumber("dim", d);
        json.WriteNumber("known", knownCount);
        json.WriteNumber("unknown", unknownCount);
        json.WriteStartArray("accepted");
        foreach (bool a in accepted)
            json.WriteBooleanValue(a);
        json.WriteEndArray();
        WriteArray(json, "score", scores);
        json.WriteStartArray("predicted");
        foreach (string p in predicted)
            json.WriteStringValue(p);
        json.WriteEndArray();
    }
}
