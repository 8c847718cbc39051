using EdgeCL.Core.Errors;
using EdgeCL.Core.Learning.Adaptation;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Tests.Learning.Adaptation;

public class MetaAdapterTests
{
    private static readonly EmbeddingSpace Space = new("ee01", 8);

    private static (float[] Z, float[] Centre, float[] Prototypes) Problem(int classes)
    {
        var rng = new Random(4);
        float[] z = TestVectors.Random(rng, 8);
        float[] centre = TestVectors.Random(rng, 8, 0.2f);
        var prototypes = new float[classes * 8];
        for (int c = 0; c < classes; c++)
        {
            float[] p = TestVectors.Random(rng, 8);
            VectorKernels.NormalizeInPlace(p);
            p.CopyTo(prototypes, c * 8);
        }
        return (z, centre, prototypes);
    }

    [Fact]
    public void Forward_AtInitialisation_IsIdentity()
    {
        var adapter = new MetaAdapter(Space, 4);
        float[] z = TestVectors.Random(new Random(1), 8);
        var u = new float[8];
        adapter.Forward(z, u);
        Assert.Equal(z, u);
        Assert.Equal(2 * 8 * 4 + 4 + 8, adapter.ParameterCount);
    }

    [Fact]
    public void LossAndGradient_MatchesFiniteDifferences()
    {
        var adapter = new MetaAdapter(Space, 5, seed: 3);
        var rng = new Random(8);
        Span<float> theta = adapter.Parameters;
        for (int i = 0; i < theta.Length; i++)
            theta[i] = (float)(rng.NextDouble() * 2 - 1) * 0.5f; // away from the identity, so every path is active
        (float[] z, float[] centre, float[] prototypes) = Problem(3);
        const float scale = 5f, weight = 1.3f, lambda = 0.25f;
        adapter.LossAndGradient(z, centre, prototypes, 3, scale, weight, lambda);
        float[] analytic = adapter.Gradient.ToArray();
        const float h = 1e-3f;
        int checkedCount = 0;
        for (int i = 0; i < theta.Length; i++)
        {
            float saved = theta[i];
            theta[i] = saved + h;
            float plus = adapter.LossAndGradient(z, centre, prototypes, 3, scale, weight, lambda);
            theta[i] = saved - h;
            float minus = adapter.LossAndGradient(z, centre, prototypes, 3, scale, weight, lambda);
            theta[i] = saved;
            float numeric = (plus - minus) / (2 * h);
            Assert.True(MathF.Abs(numeric - analytic[i]) <= 2e-3f + 2e-2f * MathF.Abs(numeric), $"parameter {i}: numeric {numeric}, analytic {analytic[i]}");
            checkedCount++;
        }
        Assert.Equal(adapter.ParameterCount, checkedCount);
    }

    [Fact]
    public void Step_LowersTheLoss()
    {
        var adapter = new MetaAdapter(Space, 6, seed: 2);
        (float[] z, float[] centre, float[] prototypes) = Problem(4);
        float first = adapter.LossAndGradient(z, centre, prototypes, 4, 10f, 1f, 0.01f);
        for (int i = 0; i < 20; i++)
        {
            adapter.LossAndGradient(z, centre, prototypes, 4, 10f, 1f, 0.01f);
            Assert.True(adapter.Step(0.05f, 0f));
        }
        float last = adapter.LossAndGradient(z, centre, prototypes, 4, 10f, 1f, 0.01f);
        Assert.True(last < first, $"{last} >= {first}");
    }

    [Fact]
    public void Import_FromAnotherSpace_ThrowsAndLeavesParameters()
    {
        var other = new MetaAdapter(new EmbeddingSpace("ff02", 8), 4, seed: 9);
        var adapter = new MetaAdapter(Space, 4);
        float[] before = adapter.Parameters.ToArray();
        Assert.Throws<StateFormatException>(() => adapter.Import(other.Export()));
        Assert.Throws<StateFormatException>(() => adapter.Import(new MetaAdapter(Space, 5).Export()));
        Assert.Throws<StateFormatException>(() => adapter.Import(new byte[3]));
        Assert.Equal(before, adapter.Parameters.ToArray());
    }

    [Fact]
    public void ExportImport_RoundTrips()
    {
        var source = new MetaAdapter(Space, 4, seed: 5);
        source.Parameters[40] = 0.5f;
        var target = new MetaAdapter(Space, 4, seed: 6);
        target.Import(source.Export());
        Assert.Equal(source.Parameters.ToArray(), target.Parameters.ToArray());
    }
}
