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

    /// <summary>Overlapping classes (the head is right about 2/3 of the time) around a common offset.</summary>
    private sealed class World(int seed)
    {
        private readonly Random _rng = new(seed);
        private readonly float[][] _means = Enumerable.Range(0, Classes).Select(_ => TestVectors.Random(new Random(seed * 7 + 1 + _), Dimension)).ToArray();
        private readonly float[] _common = TestVectors.Random(new Random(seed + 99), Dimension, 0.5f, 3f);

        public float[] Sample(int c, float noise = 2.5f)
        {
            var v = new float[Dimension];
            for (int j = 0; j < Dimension; j++)
                v[j] = _common[j] + _means[c][j] + noise * (float)(_rng.NextDouble() * 2 - 1);
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
                    _support[i] = Sample(i / 5, 0.3f);
                _drawn = true;
            }
            IStreamLearner learner = LearnerRegistry.CreateDefault().Create(name, Space, options);
            for (int i = 0; i < _support.Length; i++)
                learner.Learn("c" + (i / 5), _support[i]);
            return learner;
        }
    }

    /// <summary>Online accuracy of each learner on the same stream: runs of <paramref name="run"/> samples of one class.</summary>
    private static double[] Online(int seed, int run, params string[] names)
    {
        var world = new World(seed);
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
    public void Observe_LabelCorrelatedStream_BeatsTheHeadByFivePoints()
    {
        double gain = 0;
        for (int seed = 1; seed <= 3; seed++)
        {
            double[] a = Online(seed, 30, NcmLearnerName, LameLearner.MethodName);
            Assert.InRange(a[0], 0.4, 0.9); // the head is neither hopeless nor perfect here
            gain += a[1] - a[0];
        }
        Assert.True(gain / 3 >= 0.05, $"mean gain {gain / 3:0.000}");
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
    public void Create_BadParameter_OneLineError(string key, string value)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => LearnerRegistry.CreateDefault().Create(LameLearner.MethodName, Space,
            new LearnerOptions { Parameters = new Dictionary<string, string> { [key] = value } }));
        Assert.Contains(key, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    private const string NcmLearnerName = "ncm-centred";
}
