using System.Buffers.Binary;
using EdgeCL.Core.Errors;
using EdgeCL.Core.Learning;
using EdgeCL.Core.Learning.Adaptation;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Serialization;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Tests.Learning.Adaptation;

public class AdaptationCheckpointTests
{
    private const int Dimension = 12;
    private const int Classes = 4;
    private static readonly EmbeddingSpace Space = new("c4ec", Dimension);

    public static TheoryData<string> AdaptiveNames() =>
    [
        TestCentredNcmLearner.MethodName, AdaNpcLearner.MethodName, AdaNpcLearner.TestCentredName, T3aLearner.MethodName,
        T3aLearner.TestCentredName, MetaAdapterLearner.MethodName, MetaAdapterLearner.TestCentredName,
    ];

    /// <summary>A labelled seed and a shifted unlabelled stream, fixed by a seed, so two learners can see the same data.</summary>
    private sealed class Data
    {
        private readonly float[][] _means = new float[Classes][];
        private readonly float[] _common;
        private readonly float[] _shift;

        public Data(int seed)
        {
            var rng = new Random(seed);
            for (int c = 0; c < Classes; c++)
                _means[c] = TestVectors.Random(rng, Dimension);
            _common = TestVectors.Random(rng, Dimension, 0.5f, 3f);
            _shift = TestVectors.Random(rng, Dimension, 0.6f);
            for (int c = 0; c < Classes; c++)
                for (int s = 0; s < 5; s++)
                    Seed.Add(("c" + c, Sample(rng, c, null)));
            for (int i = 0; i < 400; i++)
                Stream.Add(Sample(rng, rng.Next(Classes), _shift));
        }

        public List<(string Label, float[] Embedding)> Seed { get; } = [];

        public List<float[]> Stream { get; } = [];

        private float[] Sample(Random rng, int c, float[]? shift)
        {
            var v = new float[Dimension];
            for (int j = 0; j < Dimension; j++)
                v[j] = _common[j] + _means[c][j] + (shift?[j] ?? 0f) + 0.35f * (float)(rng.NextDouble() * 2 - 1);
            return v;
        }

        public IStreamLearner Create(string name, IEnumerable<string>? classOrder = null)
        {
            IStreamLearner learner = LearnerRegistry.CreateDefault().Create(name, Space);
            List<string> order = (classOrder ?? Enumerable.Range(0, Classes).Select(c => "c" + c)).ToList();
            foreach (string label in order)
                foreach ((string l, float[] e) in Seed)
                    if (l == label)
                        learner.Learn(l, e);
            return learner;
        }

        /// <summary>A learner that adapted to the first <paramref name="samples"/> of the stream.</summary>
        public IStreamLearner Adapted(string name, int samples)
        {
            IStreamLearner learner = Create(name);
            for (int i = 0; i < samples; i++)
                learner.Observe(Stream[i]);
            return learner;
        }
    }

    private static IAdaptationCheckpoint Checkpoint(IStreamLearner learner) =>
        Assert.IsAssignableFrom<IAdaptationCheckpoint>(learner);

    private static void AssertSamePredictions(IStreamLearner expected, IStreamLearner actual, IEnumerable<float[]> probes, bool observe)
    {
        foreach (float[] x in probes)
        {
            Prediction a = observe ? expected.Observe(x) : expected.Predict(x);
            Prediction b = observe ? actual.Observe(x) : actual.Predict(x);
            Assert.Equal(a.ClassIndex, b.ClassIndex);
            Assert.Equal(a.Confidence, b.Confidence);
        }
    }

    [Theory]
    [MemberData(nameof(AdaptiveNames))]
    public void RoundTrip_PredictsExactlyLikeTheSavedLearner(string name)
    {
        var data = new Data(5);
        IStreamLearner source = data.Adapted(name, 250);
        byte[] bytes = Checkpoint(source).SaveAdaptation();
        IStreamLearner fresh = data.Create(name);
        Checkpoint(fresh).RestoreAdaptation(bytes);
        Assert.Equal(bytes, Checkpoint(fresh).SaveAdaptation());
        // Pure predictions match at once; then both keep adapting in lock-step (health averages restart on restore,
        // so the source is restored from its own bytes too).
        AssertSamePredictions(source, fresh, data.Stream.Skip(250).Take(40), observe: false);
        Checkpoint(source).RestoreAdaptation(bytes);
        AssertSamePredictions(source, fresh, data.Stream.Skip(250), observe: true);
    }

    [Theory]
    [MemberData(nameof(AdaptiveNames))]
    public void RoundTrip_AdaptedStateDiffersFromFresh(string name)
    {
        // The checkpoint carries something: an adapted learner's bytes differ from a fresh one's.
        var data = new Data(6);
        Assert.NotEqual(Checkpoint(data.Create(name)).SaveAdaptation(), Checkpoint(data.Adapted(name, 250)).SaveAdaptation());
    }

    [Theory]
    [MemberData(nameof(AdaptiveNames))]
    public void Restore_EveryTruncation_ThrowsStateFormatAndLeavesStateUnchanged(string name)
    {
        var data = new Data(7);
        byte[] bytes = Checkpoint(data.Adapted(name, 120)).SaveAdaptation();
        IStreamLearner target = data.Adapted(name, 30);
        byte[] before = Checkpoint(target).SaveAdaptation();
        for (int length = 0; length < bytes.Length; length++)
            Assert.Throws<StateFormatException>(() => Checkpoint(target).RestoreAdaptation(bytes.AsSpan(0, length)));
        Assert.Equal(before, Checkpoint(target).SaveAdaptation());
    }

    [Theory]
    [MemberData(nameof(AdaptiveNames))]
    public void Restore_RandomByteFlips_ThrowStateFormatAndLeaveStateUnchanged(string name)
    {
        var data = new Data(8);
        byte[] bytes = Checkpoint(data.Adapted(name, 120)).SaveAdaptation();
        IStreamLearner target = data.Adapted(name, 30);
        byte[] before = Checkpoint(target).SaveAdaptation();
        var rng = new Random(42);
        for (int trial = 0; trial < 300; trial++)
        {
            byte[] corrupt = (byte[])bytes.Clone();
            int flips = 1 + rng.Next(3);
            for (int f = 0; f < flips; f++)
                corrupt[rng.Next(corrupt.Length)] ^= (byte)(1 + rng.Next(255));
            if (corrupt.AsSpan().SequenceEqual(bytes))
                continue;
            Assert.Throws<StateFormatException>(() => Checkpoint(target).RestoreAdaptation(corrupt));
        }
        Assert.Equal(before, Checkpoint(target).SaveAdaptation());
    }

    [Theory]
    [MemberData(nameof(AdaptiveNames))]
    public void Restore_FlipsBehindAValidCrc_OnlyStateFormatOrSuccess(string name)
    {
        // A writer bug (or a forger) can produce a correct CRC over bad content: the parser alone must hold.
        var data = new Data(9);
        byte[] bytes = Checkpoint(data.Adapted(name, 120)).SaveAdaptation();
        var rng = new Random(43);
        int refused = 0;
        for (int trial = 0; trial < 300; trial++)
        {
            IStreamLearner target = data.Adapted(name, 30);
            byte[] before = Checkpoint(target).SaveAdaptation();
            byte[] corrupt = (byte[])bytes.Clone();
            // Flips in the first 64 bytes hit the header and counts; the rest anywhere.
            int at = trial % 2 == 0 ? rng.Next(Math.Min(64, corrupt.Length - 4)) : rng.Next(corrupt.Length - 4);
            corrupt[at] ^= (byte)(1 + rng.Next(255));
            BinaryPrimitives.WriteUInt32LittleEndian(corrupt.AsSpan(corrupt.Length - 4), Crc32.Compute(corrupt.AsSpan(0, corrupt.Length - 4)));
            try
            {
                Checkpoint(target).RestoreAdaptation(corrupt);
            }
            catch (StateFormatException)
            {
                refused++;
                Assert.Equal(before, Checkpoint(target).SaveAdaptation());
            }
        }
        Assert.True(refused > 0, "no forged checkpoint was refused");
    }

    [Theory]
    [MemberData(nameof(AdaptiveNames))]
    public void Restore_OtherLearnerOrSpace_Throws(string name)
    {
        var data = new Data(10);
        byte[] bytes = Checkpoint(data.Adapted(name, 60)).SaveAdaptation();
        string other = name == AdaNpcLearner.MethodName ? T3aLearner.MethodName : AdaNpcLearner.MethodName;
        IStreamLearner wrongLearner = data.Create(other);
        byte[] before = Checkpoint(wrongLearner).SaveAdaptation();
        var e = Assert.Throws<StateFormatException>(() => Checkpoint(wrongLearner).RestoreAdaptation(bytes));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(before, Checkpoint(wrongLearner).SaveAdaptation());
        IStreamLearner otherSpace = LearnerRegistry.CreateDefault().Create(name, new EmbeddingSpace("ffff", Dimension));
        Assert.Throws<StateFormatException>(() => Checkpoint(otherSpace).RestoreAdaptation(bytes));
    }

    [Theory]
    [MemberData(nameof(AdaptiveNames))]
    public void Restore_IntoRelearnedLearner_WithOtherClassOrderAndAClassGone_Works(string name)
    {
        var data = new Data(11);
        IStreamLearner source = data.Adapted(name, 250);
        byte[] bytes = Checkpoint(source).SaveAdaptation();
        // The device rebuilt the learner after the fleet changed: another class order, class c3 gone.
        IStreamLearner rebuilt = data.Create(name, ["c2", "c0", "c1"]);
        Checkpoint(rebuilt).RestoreAdaptation(bytes);
        Assert.Equal(3, rebuilt.ClassCount);
        foreach (float[] x in data.Stream.Skip(250).Take(60))
            Assert.NotEqual("c3", rebuilt.Observe(x).Label);
        if (source is AdaNpcLearner a && rebuilt is AdaNpcLearner b)
        {
            Assert.True(a.TestCount > 0);
            var fresh = (AdaNpcLearner)data.Create(name, ["c2", "c0", "c1"]);
            fresh.RestoreAdaptation(bytes);
            foreach (string label in new[] { "c0", "c1", "c2" })
                Assert.Equal(a.TestCountOf(IndexOf(a, label)), fresh.TestCountOf(IndexOf(fresh, label)));
        }
        if (source is T3aLearner t && rebuilt is T3aLearner)
        {
            var fresh = (T3aLearner)data.Create(name, ["c2", "c0", "c1"]);
            fresh.RestoreAdaptation(bytes);
            Assert.True(t.SupportCount > 0);
            Assert.Equal(t.SupportCount - t.SupportCountOf(IndexOf(t, "c3")), fresh.SupportCount);
        }
    }

    private static int IndexOf(FeatureAdaptationLearner learner, string label) => learner.ClassIndexOf(label);

    [Fact]
    public void Restore_FuzzedMetaAdapterCheckpoint_ObserveDoesNotThrow()
    {
        // Found by fuzzing (ops/fuzz, target checkpoint): a checkpoint with a few finite but huge adapter parameters
        // (valid CRC) made the next Observe's forward overflow, and MathF.Sign(NaN) threw ArithmeticException. The
        // learner is built as the fuzz harness builds it (ops/fuzz CheckpointTarget.Adapted): 8-d space "5eed", 3 classes.
        var space = new EmbeddingSpace("5eed", 8);
        IStreamLearner learner = LearnerRegistry.CreateDefault().Create(MetaAdapterLearner.TestCentredName, space);
        var rng = new Random(7);
        float[] Sample(int c, float shift)
        {
            var v = new float[8];
            for (int j = 0; j < 8; j++)
                v[j] = (j == c ? 2f : 0f) + shift + (0.3f * (float)(rng.NextDouble() - 0.5));
            return v;
        }
        for (int c = 0; c < 3; c++)
            for (int s = 0; s < 4; s++)
                learner.Learn("c" + c, Sample(c, 0f));
        for (int i = 0; i < 40; i++)
            learner.Observe(Sample(i % 3, 0.4f));
        byte[] bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Learning", "Adaptation", "Fuzz", "meta-adapter-diverges.ecta"));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), Crc32.Compute(bytes.AsSpan(0, bytes.Length - 4)));

        Checkpoint(learner).RestoreAdaptation(bytes);
        float[] probe = [1f, 0, 0, 0, 0, 0, 0, 0];
        learner.Predict(probe);
        for (int i = 0; i < 10; i++)
            learner.Observe(probe);
    }
}
