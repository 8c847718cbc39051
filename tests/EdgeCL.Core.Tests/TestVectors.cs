namespace EdgeCL.Core.Tests;

/// <summary>Deterministic random vectors for tests.</summary>
internal static class TestVectors
{
    public static float[] Random(Random rng, int dimension, float scale = 1f, float offset = 0f)
    {
        var v = new float[dimension];
        for (int i = 0; i < dimension; i++)
            v[i] = offset + scale * (float)(rng.NextDouble() * 2 - 1);
        return v;
    }
}
