using System.Numerics.Tensors;
using EdgeCL.Core.Vectors;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Sessions;
using EdgeCL.Onnx.Tests.Audio;
using Xunit.Abstractions;

namespace EdgeCL.Onnx.Tests.Backbones;

/// <summary>The manifest's <c>poolSegments</c>: window embeddings pooled per consecutive segment, in time order.</summary>
public sealed class SpeechPoolingTests(ITestOutputHelper output)
{
    private const int Rate = 16000;

    [Fact]
    public void OneSegmentIsThePlainMeanSummedInWindowOrder()
    {
        float[] rows = Rows(windows: 9, dim: 5);
        var pooled = new float[5];
        SpeechBackbone.PoolWindows(rows, 9, 1, pooled);
        for (int d = 0; d < 5; d++)
        {
            float sum = rows[d];
            for (int w = 1; w < 9; w++)
                sum += rows[w * 5 + d];
            Assert.Equal(sum * (1f / 9), pooled[d]); // bit-identical to the mean before segments existed
        }
    }

    [Theory]
    [InlineData(3, new[] { 0, 3, 6, 9 })]
    [InlineData(4, new[] { 0, 2, 4, 6, 9 })]
    [InlineData(9, new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 })]
    public void SegmentsAreConsecutiveWindowGroupsInTimeOrder(int segments, int[] bounds)
    {
        const int dim = 4;
        float[] rows = Rows(windows: 9, dim);
        var pooled = new float[segments * dim];
        SpeechBackbone.PoolWindows(rows, 9, segments, pooled);
        for (int s = 0; s < segments; s++)
            for (int d = 0; d < dim; d++)
            {
                double mean = 0;
                for (int w = bounds[s]; w < bounds[s + 1]; w++)
                    mean += rows[w * dim + d];
                mean /= bounds[s + 1] - bounds[s];
                Assert.Equal(mean, pooled[s * dim + d], 1e-5);
            }
    }

    [Fact]
    public void SegmentedSpaceKeepsOrderThatTheMeanLoses()
    {
        SpeechModels.Require();
        BackboneManifest m = BackboneCatalog.LoadManifest(SpeechModels.ManifestPath);
        using SpeechBackbone mean = Create(m, 1);
        using SpeechBackbone three = Create(m, 3);
        Assert.Equal((96, 288, 96), (mean.Space.Dimension, three.Space.Dimension, three.WindowDimension));
        Assert.NotEqual(mean.Space.Id, three.Space.Id);

        // Two sounds in either order: one mean cannot tell them apart as well as three segments in time order.
        float[] low = Tone(260, 0.6), high = Tone(1800, 0.6);
        float[] lowHigh = [.. low, .. high], highLow = [.. high, .. low];
        float[] a1 = Embed(mean, lowHigh), b1 = Embed(mean, highLow);
        float[] a3 = Embed(three, lowHigh), b3 = Embed(three, highLow);
        float cosMean = Cl2nCosine(a1, b1, Embed(mean, Tone(700, 1.2))), cosThree = Cl2nCosine(a3, b3, Embed(three, Tone(700, 1.2)));
        output.WriteLine($"low-high vs high-low: cosine {cosMean:F3} with one mean, {cosThree:F3} with three segments");
        Assert.True(cosThree < cosMean - 0.2f, $"three segments {cosThree:F3} vs mean {cosMean:F3}");

        // Equal groups of three windows: the mean of the segments is the one mean.
        var ofSegments = new float[96];
        for (int s = 0; s < 3; s++)
            TensorPrimitives.Add(ofSegments, a3.AsSpan(s * 96, 96), ofSegments);
        for (int d = 0; d < 96; d++)
            Assert.Equal(a1[d], ofSegments[d] / 3f, 1e-3f * (1 + MathF.Abs(a1[d])));
    }

    [Theory]
    [InlineData(5, 96, "must be at least 1 and divide embeddingDimension 96")]
    [InlineData(-1, 96, "must be at least 1")]
    [InlineData(10, 960, "more than the 9 windows")]
    public void PoolSegmentsThatCannotWorkAreRefusedInOneLine(int segments, int dimension, string expected)
    {
        SpeechModels.Require();
        BackboneManifest m = BackboneCatalog.LoadManifest(SpeechModels.ManifestPath);
        var bad = m with { EmbeddingDimension = dimension, Speech = m.Speech! with { PoolSegments = segments } };
        var ex = Assert.Throws<ModelLoadException>(() => new SpeechBackbone(bad, SpeechModels.Directory, SessionOptionsSpec.Default));
        Assert.Contains(expected, ex.Message);
        Assert.Contains("poolSegments", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void SegmentsThatDoNotMatchTheModelRowAreRefused()
    {
        SpeechModels.Require();
        BackboneManifest m = BackboneCatalog.LoadManifest(SpeechModels.ManifestPath);
        // 3 segments of 64: the model writes 96 per window.
        var bad = m with { EmbeddingDimension = 192, Speech = m.Speech! with { PoolSegments = 3 } };
        var ex = Assert.Throws<ModelLoadException>(() => new SpeechBackbone(bad, SpeechModels.Directory, SessionOptionsSpec.Default));
        Assert.Contains("not an embedding of 64 values per row", ex.Message);
    }

    private static SpeechBackbone Create(BackboneManifest m, int segments) =>
        new(m with { EmbeddingDimension = 96 * segments, Speech = m.Speech! with { PoolSegments = segments } }, SpeechModels.Directory, SessionOptionsSpec.Default);

    private static float[] Embed(SpeechBackbone b, float[] pcm)
    {
        var e = new float[b.Space.Dimension];
        b.EmbedPcm(pcm, e);
        return e;
    }

    /// <summary>Cosine after centring on the three embeddings' mean: raw openWakeWord embeddings share one direction.</summary>
    private static float Cl2nCosine(float[] a, float[] b, float[] c)
    {
        var centre = new float[a.Length];
        for (int i = 0; i < a.Length; i++)
            centre[i] = (a[i] + b[i] + c[i]) / 3f;
        float[] ac = a.Select((v, i) => v - centre[i]).ToArray(), bc = b.Select((v, i) => v - centre[i]).ToArray();
        return VectorKernels.Dot(ac, bc) / MathF.Sqrt(VectorKernels.Dot(ac, ac) * VectorKernels.Dot(bc, bc));
    }

    private static float[] Tone(double hz, double seconds)
    {
        var s = new float[(int)(seconds * Rate)];
        float[] noise = TestWav.Noise(s.Length, 300, 7);
        for (int i = 0; i < s.Length; i++)
            s[i] = (float)(8000 * Math.Sin(2 * Math.PI * hz * i / Rate)) + noise[i];
        return s;
    }

    private static float[] Rows(int windows, int dim)
    {
        var rng = new Random(5);
        return Enumerable.Range(0, windows * dim).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
    }
}
