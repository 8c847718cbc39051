using System.Text;

namespace EdgeCL.Core.Evaluation;

/// <summary>
/// A small, portable pseudo-random generator (xoshiro256**, seeded by SplitMix64): the same seed gives the same
/// sequence on every runtime and platform, unlike <see cref="Random"/> whose algorithm is an implementation detail.
/// </summary>
/// <remarks>Every random choice of an evaluation (support draws, stream order, corruption noise) comes from one of
/// these, seeded by <see cref="Derive(long, string, long, long)"/> from the run's one seed. Not thread-safe.</remarks>
public sealed class DeterministicRandom
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spareGaussian;
    private bool _hasSpare;

    /// <summary>Creates a generator from a 64-bit seed.</summary>
    public DeterministicRandom(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>A seed for one purpose of one run: mixes the run seed, a purpose string and up to two indices.</summary>
    public static ulong Derive(long seed, string purpose, long index = 0, long index2 = 0)
    {
        ArgumentNullException.ThrowIfNull(purpose);
        ulong h = Fnv1a(purpose);
        ulong x = unchecked((ulong)seed) ^ h;
        ulong a = SplitMix64(ref x);
        x ^= unchecked((ulong)index) * 0x9E3779B97F4A7C15UL;
        ulong b = SplitMix64(ref x);
        x ^= unchecked((ulong)index2) * 0xC2B2AE3D27D4EB4FUL;
        return a ^ b ^ SplitMix64(ref x);
    }

    /// <summary>64-bit FNV-1a of a string's UTF-8 bytes: a stable hash (string.GetHashCode is randomised per process).</summary>
    public static ulong Fnv1a(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ulong h = 0xCBF29CE484222325UL;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            h ^= b;
            h *= 0x100000001B3UL;
        }
        return h;
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [min, max).</summary>
    public double NextDouble(double min, double max) => min + (max - min) * NextDouble();

    /// <summary>Uniform integer in [min, maxExclusive).</summary>
    public int NextInt(int min, int maxExclusive)
    {
        if (maxExclusive <= min)
            throw new ArgumentOutOfRangeException(nameof(maxExclusive), $"Empty range [{min}, {maxExclusive}).");
        ulong range = (ulong)((long)maxExclusive - min);
        // Lemire's multiply-shift; the bias is below 2^-32 for ranges used here.
        return (int)(min + (long)(((NextUInt64() >> 32) * range) >> 32));
    }

    /// <summary>Standard normal (Box–Muller, the spare value cached).</summary>
    public double NextGaussian()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spareGaussian;
        }
        double u1 = ((NextUInt64() >> 11) + 1) * (1.0 / (1UL << 53)); // (0, 1]: Log never sees 0
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareGaussian = r * Math.Sin(2.0 * Math.PI * u2);
        _hasSpare = true;
        return r * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>A Poisson variate with mean <paramref name="lambda"/> (Knuth's product method; λ ≤ 500).</summary>
    public int NextPoisson(double lambda)
    {
        if (!(lambda >= 0) || lambda > 500)
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "Poisson mean must be in 0..500.");
        if (lambda == 0)
            return 0;
        if (lambda > 60)
        {
            // Split large means: a sum of Poisson variates is Poisson, and exp(−λ) stays representable.
            int half = NextPoisson(lambda / 2);
            return half + NextPoisson(lambda - lambda / 2);
        }
        double limit = Math.Exp(-lambda), product = NextDouble();
        int k = 0;
        while (product > limit)
        {
            k++;
            product *= NextDouble();
        }
        return k;
    }

    /// <summary>Shuffles a list in place (Fisher–Yates).</summary>
    public void Shuffle<T>(IList<T> list)
    {
        ArgumentNullException.ThrowIfNull(list);
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = NextInt(0, i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
