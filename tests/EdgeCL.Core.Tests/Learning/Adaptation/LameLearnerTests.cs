using EdgeCL.Core.Learning;
using EdgeCL.Core.Learning.Adaptation;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Tests.Learning.Adaptation;

public class LameLearnerTests
{
    private const int Dimension = 16;
    private const int Classes = 4;
    private static readonly EmbeddingSpace Space = new("1a3e", Dimension);

    /// <summary>Tight classes around a common offset; the test stream carries a shift the labelled head does not
    /// remove, so the head errs while neighbours in feature space are still mostly of one class (LAME's regime).</summary>
    private sealed class World(int seed, float noise = 0.6f, float shift = 2.0f)
    {
        private readonly Random _rng = new(seed);
        private readonly float[][] _means = Enumerable.Range(0, Classes).Select(_ => TestVectors.Random(new Random(seed * 7 + 1 + _), Dimension)).ToArray();
        private readonly float[] _common = TestVectors.Random(new Random(seed + 99), Dimension, 0.5f, 3f);

        private readonly float[] _shift = TestVectors.Random(new Random(seed + 500), Dimension, shift);

        public float[] Sample(int c, float? sampleNoise = null, bool shifted = true)
        {
            var v = new float[Dimension];
            for (int j = 0; j < Dimension; j++)
                v[j] = _common[j] + _means[c][j] + (shifted ? _shift[j] : 0f) + (sampleNoise ?? noise) * (float)(_rng.NextDouble() * 2 - 1);
            return v;
        }

        private readonly float[][] _support = Enumerable.Range(0, Classes * 5).Select(i => new float[Dimension]).ToArray();
        private bool _drawn;

        /// <summary>A learner taught the world's 5 shots per class (the same shots for every learner).</summary>
        public IStreamLearner Seeded(string name, LearnerOptions? options = null)
        {
            if (!_drawn)
            {
                for (int i = 0; i < _support.Length; i++)
                    _support[i] = Sample(i / 5, 0.3f, shifted: false);
                _drawn = true;
            }
            IStreamLearner learner = LearnerRegistry.CreateDefault().Create(name, Space, options);
            for (int i = 0; i < _support.Length; i++)
                learner.Learn("c" + (i / 5), _support[i]);
            return learner;
        }
    }

    /// <summary>Online accuracy of each learner on the same stream: runs of <paramref name="run"/> samples of one class.</summary>
    private static double[] Online(World world, int seed, int run, params string[] names)
    {
        IStreamLearner[] learners = names.Select(n => world.Seeded(n)).ToArray();
        var correct = new int[names.Length];
        var order = new Random(seed + 1000);
        const int Steps = 1200;
        for (int i = 0; i < Steps; i++)
        {
            int c = run == 1 ? order.Next(Classes) : (i / run + seed) % Classes;
            float[] x = world.Sample(c);
            for (int l = 0; l < learners.Length; l++)
                if (learners[l].Observe(x).Label == "c" + c)
                    correct[l]++;
        }
        return correct.Select(n => n / (double)Steps).ToArray();
    }

    [Fact]
    public void Observe_ShuffledStream_GatedLameStaysWithinOnePointOfTheHead()
    {
        // LAME hurts on i.i.d. streams (algorithms.md §3.7); the autocorrelation gate must keep it at the head.
        for (int seed = 1; seed <= 3; seed++)
        {
            double[] a = Online(new World(seed, 1.5f), seed, 1, NcmLearnerName, LameLearner.MethodName);
            Assert.True(a[1] >= a[0] - 0.01, $"head {a[0]:0.000}, lame {a[1]:0.000}");
        }
    }

    [Fact]
    public void Window_MinorityLabelInsideATightCluster_IsPulledToTheClusterMajority()
    {
        var window = new LameWindow(4, capacity: 16, neighbours: 5, lambda: 1f, iterations: 10);
        window.Prepare(2);
        var rng = new Random(3);
        float[] Near(float x, float y)
        {
            var v = new[] { x + 0.02f * (float)rng.NextDouble(), y + 0.02f * (float)rng.NextDouble(), 0.02f * (float)rng.NextDouble(), 0f };
            VectorKernels.NormalizeInPlace(v);
            return v;
        }
        // Cluster A: confidently class 0, cluster B: confidently class 1; one member of A whose head leans to class 1.
        for (int i = 0; i < 6; i++)
        {
            window.Add(Near(1, 0), [3f, 0f]);
            window.Add(Near(0, 1), [0f, 3f]);
        }
        window.Add(Near(1, 0), [0f, 0.5f]);
        int odd = window.Count - 1;
        Assert.True(window.Assignment(odd)[0] > 0.5f, "the Laplacian term outweighs a weak wrong unary");
        // A query outside the window is corrected the same way, and the correction does not change the window.
        var term = new float[2];
        window.Correct(Near(1, 0), term);
        Assert.True(term[0] > term[1] + 1f);
        Assert.True(window.Assignment(0)[0] > 0.9f);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Window_FirstSamplesOfANewRun_AreNotVotedIntoThePreviousRunsClass_WhenOnlyMutualNeighboursVote(bool mutual)
    {
        // A correlated stream: a run of class 0 (on an arc 0.05 rad apart) then a run of class 1, 0.3 rad beyond the
        // arc's end: farther than class 0's own 5th neighbours, but class 0 is all a newcomer finds in the window.
        var window = new LameWindow(4, capacity: 32, neighbours: 5, lambda: 1f, iterations: 10, mutual: mutual);
        window.Prepare(2);
        static float[] At(double angle) => [(float)Math.Cos(angle), (float)Math.Sin(angle), 0f, 0f];
        for (int i = 0; i < 12; i++)
            window.Add(At(-0.25 + 0.05 * i), [3f, 0f]);
        var term = new float[2];
        window.Correct(At(0.6), term);
        if (mutual)
            Assert.Equal(0f, term[0]); // no old-run row has the newcomer among its own 5 nearest
        else
            Assert.True(term[0] > 0.4f, $"plain kNN: the old run votes ({term[0]})");
        // The new run, each sample leaning weakly to its own class: plain kNN votes the whole run into the old class.
        for (int i = 0; i < 4; i++)
            window.Add(At(0.6 + 0.01 * i), [0f, 0.8f]);
        for (int row = 12; row < 16; row++)
            Assert.True(mutual ? window.Assignment(row)[1] > 0.5f : window.Assignment(row)[0] > 0.5f, $"row {row}: {window.Assignment(row)[0]}");
        Assert.True(window.Assignment(0)[0] > 0.9f, "the old run keeps its class either way");
    }

    [Fact]
    public void Observe_LambdaZero_IsExactlyTheHead()
    {
        var world = new World(4);
        IStreamLearner head = world.Seeded(NcmLearnerName);
        IStreamLearner lame = world.Seeded(LameLearner.MethodName, new LearnerOptions { Parameters = new Dictionary<string, string> { ["lame.lambda"] = "0" } });
        for (int i = 0; i < 200; i++)
        {
            float[] x = world.Sample(i % Classes);
            Assert.Equal(head.Observe(x).ClassIndex, lame.Observe(x).ClassIndex);
        }
    }

    [Fact]
    public void Predict_IsPure_AndObserveAllocatesNothing()
    {
        var world = new World(5);
        var lame = (LameLearner)world.Seeded(LameLearner.TestCentredName);
        var xs = Enumerable.Range(0, 300).Select(i => world.Sample(i / 20 % Classes)).ToArray();
        for (int i = 0; i < 100; i++)
            lame.Observe(xs[i]);
        Prediction p1 = lame.Predict(xs[150]);
        Prediction p2 = lame.Predict(xs[150]);
        Assert.Equal(p1, p2);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 100; i < 300; i++)
            lame.Observe(xs[i]);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(64, lame.Window.Count); // bounded by the window
        lame.Reset();
        Assert.Equal(0, lame.Window.Count);
    }

    [Theory]
    [InlineData("lame.window", "1")]
    [InlineData("lame.k", "64")]
    [InlineData("lame.lambda", "-1")]
    [InlineData("lame.iterations", "0")]
    [InlineData("lame.mutual", "2")]
    public void Create_BadParameter_OneLineError(string key, string value)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => LearnerRegistry.CreateDefault().Create(LameLearner.MethodName, Space,
            new LearnerOptions { Parameters = new Dictionary<string, string> { [key] = value } }));
        Assert.Contains(key, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    private const string NcmLearnerName = "ncm-centred";
}
