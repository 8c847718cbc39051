namespace EdgeCL.Eval.Shifts;

/// <summary>In-place iterative radix-2 complex FFT on separate real and imaginary arrays (double precision).</summary>
internal static class Fft
{
    /// <summary>Smallest power of two ≥ n.</summary>
    public static int NextPowerOfTwo(int n)
    {
        int p = 1;
        while (p < n)
            p <<= 1;
        return p;
    }

    /// <summary>Forward (e^{−i…}) or inverse (e^{+i…}, scaled by 1/n) transform; length must be a power of two.</summary>
    public static void Transform(double[] re, double[] im, bool inverse)
    {
        int n = re.Length;
        if (n != im.Length || (n & (n - 1)) != 0)
            throw new ArgumentException("FFT length must be a power of two and equal for both parts.");
        for (int i = 1, j = 0; i < n; i++)
        {
            int bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1)
                j ^= bit;
            j ^= bit;
            if (i < j)
            {
                (re[i], re[j]) = (re[j], re[i]);
                (im[i], im[j]) = (im[j], im[i]);
            }
        }
        for (int len = 2; len <= n; len <<= 1)
        {
            double angle = (inverse ? 2 : -2) * Math.PI / len;
            double wr = Math.Cos(angle), wi = Math.Sin(angle);
            int half = len >> 1;
            for (int i = 0; i < n; i += len)
            {
                double cr = 1, ci = 0;
                for (int k = 0; k < half; k++)
                {
                    int a = i + k, b = a + half;
                    double tr = re[b] * cr - im[b] * ci;
                    double ti = re[b] * ci + im[b] * cr;
                    re[b] = re[a] - tr;
                    im[b] = im[a] - ti;
                    re[a] += tr;
                    im[a] += ti;
                    double next = cr * wr - ci * wi;
                    ci = cr * wi + ci * wr;
                    cr = next;
                }
            }
        }
        if (inverse)
        {
            for (int i = 0; i < n; i++)
            {
                re[i] /= n;
                im[i] /= n;
            }
        }
    }

    /// <summary>Linear convolution of two real signals, truncated to the first <paramref name="length"/> samples.</summary>
    public static double[] Convolve(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int length)
    {
        int n = NextPowerOfTwo(a.Length + b.Length - 1);
        double[] ar = new double[n], ai = new double[n], br = new double[n], bi = new double[n];
        a.CopyTo(ar);
        b.CopyTo(br);
        Transform(ar, ai, inverse: false);
        Transform(br, bi, inverse: false);
        for (int i = 0; i < n; i++)
        {
            double r = ar[i] * br[i] - ai[i] * bi[i];
            ai[i] = ar[i] * bi[i] + ai[i] * br[i];
            ar[i] = r;
        }
        Transform(ar, ai, inverse: true);
        return ar.AsSpan(0, Math.Min(length, n)).ToArray();
    }
}
