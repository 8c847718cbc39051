using EdgeCL.Core.Errors;
using EdgeCL.Core.Learning;
using EdgeCL.Core.Learning.Adaptation;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Tests.Learning.Adaptation;

public class AdaptationLearnerTests
{
    private const int Dimension = 16;
    private const int Classes = 4;
    private static readonly EmbeddingSpace Space = new("7a7a", Dimension);

    public static TheoryData<string> AdaptiveNames() =>
    [
        TestCentredNcmLearner.MethodName, AdaNpcLearner.MethodName, AdaNpcLearner.TestCentredName, T3aLearner.MethodName,
        T3aLearner.TestCentredName, MetaAdapterLearner.MethodName, MetaAdapterLearner.TestCentredName, LameLearner.MethodName,
        LameLearner.TestCentredName,
    ];

    /// <summary>Class means, a shared offset (the raw embeddings' common component) and a shift applied to the test stream.</summary>
    private sealed class World
    {
        private readonly float[][] _means;
        private readonly float[] _common;
        private readonly Random _rng;

        public World(int seed)
        {
            _rng = new Random(seed);
            _means = new float[Classes][];
            for (int c = 0; c < Classes; c++)
                _means[c] = TestVectors.Random(_rng, Dimension);
            _common = TestVectors.Random(_rng, Dimension, 0.5f, 3f);
        }

        public float[] Sample(int c, float[]? shift = null, float noise = 0.35f)
        {
            var v = new float[Dimension];
            for (int j = 0; j < Dimension; j++)
                v[j] = _common[j] + _means[c][j] + (shift?[j] ?? 0f) + noise * (float)(_rng.NextDouble() * 2 - 1);
            return v;
        }

        public float[] Shift(float size) => TestVectors.Random(_rng, Dimension, size);

        public IStreamLearner Seeded(string name, int shots = 5, LearnerOptions? options = null)
        {
            IStreamLearner learner = LearnerRegistry.CreateDefault().Create(name, Space, options);
            for (int c = 0; c < Classes; c++)
                for (int s = 0; s < shots; s++)
                    learner.Learn("c" + c, Sample(c));
            return learner;
        }
    }

    private static double Accuracy(IStreamLearner learner, World world, float[] shift, int steps, int seed, bool observe)
    {
        var rng = new Random(seed);
        int correct = 0;
        for (int i = 0; i < steps; i++)
        {
            int c = rng.Next(Classes);
            float[] x = world.Sample(c, shift);
            Prediction p = observe ? learner.Observe(x) : learner.Predict(x);
            if (p.Label == "c" + c)
                correct++;
        }
        return correct / (double)steps;
    }

    [Fact]
    public void Registry_RegistersEveryAdaptationLearner()
    {
        LearnerRegistry registry = LearnerRegistry.CreateDefault();
        foreach (string name in AdaptiveNames())
        {
            Assert.True(registry.TryGet(name, out LearnerDescriptor d), name);
            Assert.True(d.Adapts);
            Assert.NotEmpty(d.Parameters);
        }
    }

    [Theory]
    [MemberData(nameof(AdaptiveNames))]
    public void Observe_ShiftedStream_NeverCollapsesBelowStatic(string name)
    {
        var world = new World(7);
        float[] shift = world.Shift(0.8f);
        double stat = Accuracy(world.Seeded(NcmLearner.CentredName), world, shift, 600, 3, observe: true);
        IStreamLearner learner = world.Seeded(name);
        double adapted = Accuracy(learner, world, shift, 600, 3, observe: true);
        Assert.True(adapted >= stat - 0.02, $"{name}: {adapted:P1} vs static {stat:P1}");
    }

    [Fact]
    public void TestCentredNcm_ShiftedStream_BeatsStatic()
    {
        var world = new World(11);
        float[] shift = world.Shift(3f);
        double stat = Accuracy(world.Seeded(NcmLearner.CentredName), world, shift, 600, 5, observe: true);
        double adapted = Accuracy(world.Seeded(TestCentredNcmLearner.MethodName), world, shift, 600, 5, observe: true);
        Assert.True(adapted > stat + 0.05, $"test-centred {adapted:P1} vs static {stat:P1}");
    }

    [Theory]
    [MemberData(nameof(AdaptiveNames))]
    public void Observe_NonFiniteEmbedding_ThrowsAndLeavesStateUnchanged(string name)
    {
        var world = new World(3);
        IStreamLearner learner = world.Seeded(name);
        float[] shift = world.Shift(0.5f);
        Accuracy(learner, world, shift, 50, 1, observe: true);
        float[] probe = world.Sample(1, shift);
        Prediction before = learner.Predict(probe);
        float[] bad = world.Sample(2, shift);
        bad[3] = float.NaN;
        Assert.Throws<EmbeddingException>(() => learner.Observe(bad));
        bad[3] = float.PositiveInfinity;
        Assert.Throws<EmbeddingException>(() => learner.Observe(bad));
        Assert.Throws<EmbeddingException>(() => learner.Learn("c1", bad));
        Assert.Throws<EmbeddingException>(() => learner.Observe(new float[Dimension + 1]));
        Assert.Equal(before, learner.Predict(probe));
    }

    [Theory]
    [MemberData(nameof(AdaptiveNames))]
    public void Observe_AfterWarmUp_AllocatesNothing(string name)
    {
        var world = new World(5);
        IStreamLearner learner = world.Seeded(name);
        float[] shift = world.Shift(0.5f);
        var samples = new float[200][];
        var rng = new Random(9);
        for (int i = 0; i < samples.Length; i++)
            samples[i] = world.Sample(rng.Next(Classes), shift);
        // Warm-up: memories reach their working size.
        for (int round = 0; round < 10; round++)
            foreach (float[] s in samples)
                learner.Observe(s);
        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (float[] s in samples)
            learner.Observe(s);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Theory]
    [MemberData(nameof(AdaptiveNames))]
    public void Reset_KeepsLabelledSeed_PredictsLikeFresh(string name)
    {
        var world = new World(13);
        IStreamLearner learner = world.Seeded(name);
        var fresh = LearnerRegistry.CreateDefault().Create(name, Space);
        // Same labelled examples in the same order: re-create the world with the same seed.
        var twin = new World(13);
        IStreamLearner reference = twin.Seeded(name);
        Accuracy(learner, world, world.Shift(1f), 300, 2, observe: true);
        learner.Reset();
        Assert.Equal(Classes, learner.ClassCount);
        var probeWorld = new World(99);
        for (int i = 0; i < 20; i++)
        {
            float[] x = probeWorld.Sample(i % Classes);
            Assert.Equal(reference.Predict(x).Label, learner.Predict(x).Label);
        }
        Assert.Equal(0, fresh.ClassCount);
    }

    [Fact]
    public void AdaNpc_Budget_IsRespectedWithQuotas()
    {
        var world = new World(17);
        var options = new LearnerOptions { Parameters = new Dictionary<string, string> { ["adanpc.budget"] = "40", ["adanpc.confidence"] = "0", ["adanpc.entropy-gate"] = "1", ["adanpc.guard-window"] = "100000" } };
        var learner = (AdaNpcLearner)world.Seeded(AdaNpcLearner.MethodName, options: options);
        Assert.Equal(20, learner.SeedCount);
        Accuracy(learner, world, world.Shift(0.3f), 1000, 4, observe: true);
        Assert.True(learner.SeedCount + learner.TestCount <= 40);
        Assert.True(learner.TestCount > 0);
        for (int c = 0; c < Classes; c++)
            Assert.True(learner.TestCountOf(c) <= 20 / Classes, $"class {c}: {learner.TestCountOf(c)}");
        learner.Reset();
        Assert.Equal(20, learner.SeedCount);
        Assert.Equal(0, learner.TestCount);
    }

    [Fact]
    public void AdaNpc_SeedBeyondBudget_RefusedAndUnchanged()
    {
        var options = new LearnerOptions { Parameters = new Dictionary<string, string> { ["adanpc.budget"] = "2" } };
        var learner = new AdaNpcLearner(Space, options);
        var rng = new Random(1);
        learner.Learn("a", TestVectors.Random(rng, Dimension));
        learner.Learn("b", TestVectors.Random(rng, Dimension));
        Assert.Throws<ArgumentException>(() => learner.Learn("c", TestVectors.Random(rng, Dimension)));
        Assert.Equal(2, learner.ClassCount);
        Assert.Equal(2, learner.SeedCount);
    }

    [Theory]
    [InlineData("adanpc.budget", "0")]
    [InlineData("adanpc.budget", "100000000")]
    [InlineData("adanpc.tau", "0")]
    [InlineData("adanpc.tau", "-1")]
    [InlineData("t3a.budget", "0")]
    [InlineData("t3a.filter", "0")]
    [InlineData("ncm-test-centred.decay", "0")]
    [InlineData("meta-adapter.hidden", "0")]
    [InlineData("adanpc.guard-action", "explode")]
    public void Create_BadParameter_Throws(string key, string value)
    {
        string method = key[..key.IndexOf('.', StringComparison.Ordinal)];
        var options = new LearnerOptions { Parameters = new Dictionary<string, string> { [key] = value } };
        Assert.Throws<ArgumentException>(() => LearnerRegistry.CreateDefault().Create(method, Space, options));
    }

    [Fact]
    public void Create_NonPositiveTemperature_Throws()
    {
        var options = new LearnerOptions { Temperature = 0f };
        Assert.Throws<ArgumentException>(() => LearnerRegistry.CreateDefault().Create(AdaNpcLearner.MethodName, Space, options));
    }

    [Fact]
    public void T3a_FilterMinusOne_KeepsEverySupport()
    {
        var world = new World(21);
        var options = new LearnerOptions { Parameters = new Dictionary<string, string> { ["t3a.filter"] = "-1", ["t3a.entropy-gate"] = "1", ["t3a.agree"] = "0", ["t3a.guard-window"] = "100000" } };
        var learner = (T3aLearner)world.Seeded(T3aLearner.MethodName, options: options);
        for (int i = 0; i < 50; i++)
            learner.Observe(world.Sample(i % Classes));
        // Upstream's M = -1 slices [:-1] and drops a support per class every step; every sample must stay here.
        Assert.Equal(50, learner.SupportCount);
    }

    [Fact]
    public void T3a_Filter_KeepsMPerClass()
    {
        var world = new World(22);
        var options = new LearnerOptions { Parameters = new Dictionary<string, string> { ["t3a.filter"] = "3", ["t3a.entropy-gate"] = "1", ["t3a.agree"] = "0", ["t3a.guard-window"] = "100000" } };
        var learner = (T3aLearner)world.Seeded(T3aLearner.MethodName, options: options);
        for (int i = 0; i < 200; i++)
            learner.Observe(world.Sample(i % Classes));
        for (int c = 0; c < Classes; c++)
            Assert.True(learner.SupportCountOf(c) <= 3);
    }

    [Fact]
    public void Guard_CollapsingStream_TripsAndFallsBack()
    {
        var world = new World(23);
        var options = new LearnerOptions { Parameters = new Dictionary<string, string> { ["ncm-test-centred.guard-window"] = "20", ["ncm-test-centred.guard-action"] = "fallback", ["ncm-test-centred.guard-entropy"] = "0" } };
        var learner = (TestCentredNcmLearner)world.Seeded(TestCentredNcmLearner.MethodName, options: options);
        for (int i = 0; i < 40; i++)
            learner.Observe(world.Sample(i % Classes));
        Assert.True(learner.Health.Trips >= 1);
        Assert.Equal("entropy", learner.Health.LastReason);
        Assert.True(learner.InFallback);
        learner.Reset();
        Assert.False(learner.InFallback);
    }

    [Fact]
    public void HealthMonitor_OneClassOnly_TripsOnCollapse()
    {
        var monitor = new HealthMonitor(new GuardOptions { Window = 20 });
        bool tripped = false;
        for (int i = 0; i < 25 && !tripped; i++)
            tripped = monitor.Record(0, 6, 0.1f, disagrees: false);
        Assert.True(tripped);
        Assert.Equal("collapse", monitor.LastReason);
    }

    [Fact]
    public void TestStreamCentre_ClipsOutliers()
    {
        var centre = new TestStreamCentre(4, warmUp: 5, decay: 0.1f, clipFactor: 2f);
        var rng = new Random(1);
        for (int i = 0; i < 100; i++)
            centre.Update(TestVectors.Random(rng, 4, 0.1f, 1f));
        centre.Update([1000f, 1000f, 1000f, 1000f]);
        Assert.True(centre.Mean[0] < 2f, $"one outlier moved the mean to {centre.Mean[0]}");
        centre.Reset();
        Assert.Equal(0, centre.Count);
        Assert.False(centre.IsWarm);
    }
}
