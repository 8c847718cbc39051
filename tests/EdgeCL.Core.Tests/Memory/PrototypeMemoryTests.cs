using EdgeCL.Core.Errors;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Serialization;
using EdgeCL.Core.Vectors;
using EdgeCL.Tests.Shared;

namespace EdgeCL.Core.Tests.Memory;

public class PrototypeMemoryTests
{
    private static readonly EmbeddingSpace Space = new("0123456789abcdef", 8);

    [Fact]
    public void Add_ManyExamples_MeanEqualsAverageInAnyOrder()
    {
        var rng = new Random(1);
        var xs = Enumerable.Range(0, 500).Select(_ => TestVectors.Random(rng, 8, 3f, 1f)).ToArray();
        var forward = new PrototypeMemory(Space);
        var backward = new PrototypeMemory(Space);
        foreach (var x in xs) forward.Add("a", x);
        foreach (var x in xs.Reverse()) backward.Add("a", x);
        for (int j = 0; j < 8; j++)
        {
            double avg = xs.Average(x => (double)x[j]);
            Assert.InRange(forward.MeanAt(0)[j], avg - 1e-5, avg + 1e-5);
            Assert.InRange(backward.MeanAt(0)[j], avg - 1e-5, avg + 1e-5);
        }
        Assert.Equal(500, forward.SummaryAt(0).Count);
        Assert.Equal(500, forward.SummaryAt(0).Version);
    }

    [Fact]
    public void Predict_TwoClusters_PicksNearestWithConfidenceAndMargin()
    {
        var memory = new PrototypeMemory(Space);
        var rng = new Random(2);
        float[] a = TestVectors.Random(rng, 8), b = TestVectors.Random(rng, 8);
        for (int i = 0; i < 5; i++)
        {
            memory.Add("a", Jitter(rng, a));
            memory.Add("b", Jitter(rng, b));
        }
        Prediction p = memory.Predict(Jitter(rng, a));
        Assert.Equal("a", p.Label);
        Assert.True(p.Margin > 0);
        Assert.InRange(p.Confidence, 0.5f, 1f);
        Assert.InRange(p.Entropy, 0f, MathF.Log(2) + 1e-6f);
    }

    [Fact]
    public void Predict_LabelledMeanCentring_EqualsCl2nReference()
    {
        var rng = new Random(3);
        var memory = new PrototypeMemory(Space);
        var all = new List<(string, float[])>();
        for (int c = 0; c < 4; c++)
            for (int i = 0; i < 3 + c; i++)
                all.Add(($"c{c}", TestVectors.Random(rng, 8, 1f, 5f)));
        foreach (var (l, x) in all) memory.Add(l, x);
        // Reference CL2N: centre = mean of every labelled example.
        float[] centre = new float[8];
        foreach (var (_, x) in all) for (int j = 0; j < 8; j++) centre[j] += x[j] / all.Count;
        Assert.Equal(centre, memory.Centre.ToArray(), new FloatComparer(1e-5f));
        float[] q = TestVectors.Random(rng, 8, 1f, 5f);
        var scores = new float[4];
        memory.Scores(q, scores);
        for (int c = 0; c < 4; c++)
        {
            float[] mean = all.Where(t => t.Item1 == $"c{c}").Select(t => t.Item2)
                .Aggregate(new float[8], (acc, x) => acc.Zip(x, (s, v) => s + v).ToArray());
            int n = all.Count(t => t.Item1 == $"c{c}");
            float[] mc = mean.Select((s, j) => s / n - centre[j]).ToArray();
            float[] qc = q.Select((v, j) => v - centre[j]).ToArray();
            Assert.Equal(VectorKernels.Cosine(qc, mc), scores[memory.IndexOf($"c{c}")], 4);
        }
    }

    [Fact]
    public void Predict_SquaredEuclidean_ScoresAreNegativeDistances()
    {
        var memory = new PrototypeMemory(Space, new PrototypeMemoryOptions { Metric = SimilarityMetric.SquaredEuclidean, Centring = CentringMode.None });
        float[] a = new float[8], b = new float[8];
        b[0] = 2f;
        memory.Add("a", a);
        memory.Add("b", b);
        float[] q = new float[8];
        q[0] = 0.5f;
        Prediction p = memory.Predict(q);
        Assert.Equal("a", p.Label);
        Assert.Equal(-0.25f, p.Score, 5);
        Assert.Equal(-0.25f + 2.25f, p.Margin, 5);
    }

    [Fact]
    public void Forget_MiddleClass_KeepsOthersAndRecomputesCentre()
    {
        var rng = new Random(4);
        var memory = new PrototypeMemory(Space);
        var means = new Dictionary<string, float[]>();
        foreach (string l in new[] { "x", "y", "z" })
        {
            means[l] = TestVectors.Random(rng, 8);
            memory.Add(l, means[l]);
        }
        Assert.True(memory.Forget("x"));
        Assert.False(memory.Forget("x"));
        Assert.Equal(2, memory.ClassCount);
        Assert.Equal(means["y"], memory.MeanAt(memory.IndexOf("y")).ToArray());
        Assert.Equal(means["z"], memory.MeanAt(memory.IndexOf("z")).ToArray());
        float[] centre = means["y"].Zip(means["z"], (p, q) => (p + q) / 2).ToArray();
        Assert.Equal(centre, memory.Centre.ToArray(), new FloatComparer(1e-6f));
        Assert.Equal(2, memory.Tombstones["x"]);
        memory.Add("x", means["x"]);
        Assert.Equal(3, memory.SummaryAt(memory.IndexOf("x")).Version); // versions never go back
    }

    [Fact]
    public void Add_BadInput_ThrowsAndLeavesStateUnchanged()
    {
        var memory = new PrototypeMemory(Space);
        memory.Add("a", Enumerable.Repeat(1f, 8).ToArray());
        byte[] before = PrototypeMemorySerializer.Serialize(memory);
        float[] nan = new float[8];
        nan[3] = float.NaN;
        Assert.Throws<EmbeddingException>(() => memory.Add("a", nan));
        Assert.Throws<EmbeddingException>(() => memory.Add("b", new float[7]));
        Assert.Throws<ArgumentException>(() => memory.Add("", new float[8]));
        Assert.Throws<ArgumentException>(() => memory.Add(" a", new float[8]));
        Assert.Throws<ArgumentException>(() => memory.Add("a\nb", new float[8]));
        Assert.Throws<EmbeddingException>(() => memory.Predict(nan));
        Assert.Equal(before, PrototypeMemorySerializer.Serialize(memory));
    }

    [Fact]
    public void Add_MaxClassesReached_RefusesNewClassButUpdatesExisting()
    {
        var memory = new PrototypeMemory(Space, new PrototypeMemoryOptions { MaxClasses = 2 });
        memory.Add("a", new float[8]);
        memory.Add("b", new float[8]);
        var ex = Assert.Throws<ArgumentException>(() => memory.Add("c", new float[8]));
        Assert.Contains("MaxClasses", ex.Message);
        Assert.Equal(2, memory.Add("a", new float[8]));
    }

    [Fact]
    public void Predict_EmptyMemory_HasNoClass()
    {
        var memory = new PrototypeMemory(Space);
        Assert.False(memory.Predict(new float[8]).HasClass);
        Assert.Equal(0, memory.PredictTopK(new float[8], new ClassScore[3]));
    }

    [Fact]
    public void PredictTopK_ManyClasses_SortedDescending()
    {
        var rng = new Random(6);
        var memory = new PrototypeMemory(Space);
        for (int c = 0; c < 40; c++) memory.Add($"c{c}", TestVectors.Random(rng, 8));
        float[] q = TestVectors.Random(rng, 8);
        var top = new ClassScore[5];
        Assert.Equal(5, memory.PredictTopK(q, top));
        var all = new float[40];
        memory.Scores(q, all);
        Assert.Equal(all.Max(), top[0].Score);
        for (int i = 1; i < 5; i++) Assert.True(top[i - 1].Score >= top[i].Score);
        Assert.Equal(memory.Predict(q).Label, top[0].Label);
    }

    [Fact]
    public void Predict_AfterWarmUp_AllocatesNothing()
    {
        var rng = new Random(7);
        var memory = new PrototypeMemory(new EmbeddingSpace("00ff", 96));
        for (int c = 0; c < 100; c++) memory.Add($"c{c}", TestVectors.Random(rng, 96));
        float[] q = TestVectors.Random(rng, 96);
        var top = new ClassScore[3];
        memory.Predict(q);
        memory.Add("c1", q);
        memory.PredictTopK(q, top);
        Assert.Equal(0, SteadyAllocation.Bytes(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                memory.Add("c5", q);
                memory.Predict(q);
                memory.PredictTopK(q, top);
            }
        }));
    }

    [Fact]
    public void SetCentre_SuppliedMode_UsesGivenCentre()
    {
        var memory = new PrototypeMemory(Space, new PrototypeMemoryOptions { Centring = CentringMode.Supplied });
        float[] c = Enumerable.Repeat(10f, 8).ToArray();
        memory.SetCentre(c);
        memory.Add("a", Enumerable.Repeat(11f, 8).ToArray());
        Assert.Equal(c, memory.Centre.ToArray());
        Assert.Throws<InvalidOperationException>(() => new PrototypeMemory(Space).SetCentre(c));
    }

    [Fact]
    public void Constructor_BadOptions_NamesTheSetting()
    {
        var ex = Assert.Throws<ArgumentException>(() => new PrototypeMemory(Space, new PrototypeMemoryOptions { Temperature = 0f }));
        Assert.Contains("Temperature", ex.Message);
        Assert.Throws<ArgumentException>(() => new PrototypeMemory(new EmbeddingSpace("XYZ", 8)));
        Assert.Throws<ArgumentException>(() => new PrototypeMemory(new EmbeddingSpace("ab", 0)));
    }

    private static float[] Jitter(Random rng, float[] v) => v.Select(x => x + 0.05f * (float)(rng.NextDouble() - 0.5)).ToArray();
}

internal sealed class FloatComparer(float tolerance) : IEqualityComparer<float>
{
    public bool Equals(float x, float y) => MathF.Abs(x - y) <= tolerance;
    public int GetHashCode(float obj) => 0;
}
