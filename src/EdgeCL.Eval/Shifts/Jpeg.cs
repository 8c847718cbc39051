namespace EdgeCL.Eval.Shifts;

/// <summary>The lossy stages of baseline JPEG (ITU-T T.81): colour conversion, 4:2:0 chroma subsampling, 8×8 DCT,
/// quantisation with IJG-quality-scaled Annex K tables, and back.</summary>
/// <remarks>Entropy coding is lossless, so skipping it changes nothing in the decoded pixels; what remains can
/// differ from libjpeg by its integer DCT and "fancy" chroma upsampling (here: exact float DCT, box upsampling).</remarks>
internal static class Jpeg
{
    private static readonly int[] s_luminance =
    [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
        14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ];

    private static readonly int[] s_chrominance =
    [
        17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
        47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    ];

    private static readonly double[,] s_cosines = BuildCosines();

    /// <summary>Compresses and decompresses at IJG quality 1-100.</summary>
    public static FloatImage RoundTrip(FloatImage image, int quality)
    {
        int[] qy = Scale(s_luminance, quality), qc = Scale(s_chrominance, quality);
        int w = image.Width, h = image.Height;
        if (image.Channels == 1)
        {
            double[] y = new double[w * h];
            for (int i = 0; i < y.Length; i++)
                y[i] = image.Data[i] * 255;
            double[] back = Plane(y, w, h, qy);
            var output = image.CloneEmpty();
            for (int i = 0; i < back.Length; i++)
                output.Data[i] = Math.Clamp(Math.Round(back[i]), 0, 255) / 255;
            return output;
        }
        // JFIF YCbCr; chroma averaged over 2×2 blocks (4:2:0), as PIL saves by default.
        var luma = new double[w * h];
        var cb = new double[w * h];
        var cr = new double[w * h];
        for (int i = 0; i < w * h; i++)
        {
            double r = image.Data[3 * i] * 255, g = image.Data[3 * i + 1] * 255, b = image.Data[3 * i + 2] * 255;
            luma[i] = 0.299 * r + 0.587 * g + 0.114 * b;
            cb[i] = -0.168736 * r - 0.331264 * g + 0.5 * b + 128;
            cr[i] = 0.5 * r - 0.418688 * g - 0.081312 * b + 128;
        }
        int cw = (w + 1) / 2, chh = (h + 1) / 2;
        double[] yBack = Plane(luma, w, h, qy);
        double[] cbBack = Plane(Subsample(cb, w, h, cw, chh), cw, chh, qc);
        double[] crBack = Plane(Subsample(cr, w, h, cw, chh), cw, chh, qc);
        var rgb = image.CloneEmpty();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x, ci = (y / 2) * cw + x / 2;
                double yy = yBack[i], u = cbBack[ci] - 128, v = crBack[ci] - 128;
                rgb.Data[3 * i] = Math.Clamp(Math.Round(yy + 1.402 * v), 0, 255) / 255;
                rgb.Data[3 * i + 1] = Math.Clamp(Math.Round(yy - 0.344136 * u - 0.714136 * v), 0, 255) / 255;
                rgb.Data[3 * i + 2] = Math.Clamp(Math.Round(yy + 1.772 * u), 0, 255) / 255;
            }
        return rgb;
    }

    private static int[] Scale(int[] table, int quality)
    {
        quality = Math.Clamp(quality, 1, 100);
        int scale = quality < 50 ? 5000 / quality : 200 - 2 * quality;
        var q = new int[64];
        for (int i = 0; i < 64; i++)
            q[i] = Math.Clamp((table[i] * scale + 50) / 100, 1, 255);
        return q;
    }

    private static double[] Subsample(double[] plane, int w, int h, int cw, int ch)
    {
        var output = new double[cw * ch];
        for (int y = 0; y < ch; y++)
            for (int x = 0; x < cw; x++)
            {
                double sum = 0;
                int n = 0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++)
                    {
                        int sy = Math.Min(2 * y + dy, h - 1), sx = Math.Min(2 * x + dx, w - 1);
                        sum += plane[sy * w + sx];
                        n++;
                    }
                output[y * cw + x] = sum / n;
            }
        return output;
    }

    /// <summary>Level shift, 8×8 DCT, quantise, dequantise, inverse DCT; edges padded by repeating the last row/column.</summary>
    private static double[] Plane(double[] plane, int w, int h, int[] quant)
    {
        var output = new double[w * h];
        var block = new double[64];
        var coefficients = new double[64];
        for (int by = 0; by < h; by += 8)
            for (int bx = 0; bx < w; bx += 8)
            {
                for (int y = 0; y < 8; y++)
                    for (int x = 0; x < 8; x++)
                        block[y * 8 + x] = plane[Math.Min(by + y, h - 1) * w + Math.Min(bx + x, w - 1)] - 128;
                for (int v = 0; v < 8; v++)
                    for (int u = 0; u < 8; u++)
                    {
                        double sum = 0;
                        for (int y = 0; y < 8; y++)
                            for (int x = 0; x < 8; x++)
                                sum += block[y * 8 + x] * s_cosines[x, u] * s_cosines[y, v];
                        double c = 0.25 * Alpha(u) * Alpha(v) * sum;
                        coefficients[v * 8 + u] = Math.Round(c / quant[v * 8 + u]) * quant[v * 8 + u];
                    }
                for (int y = 0; y < 8; y++)
                    for (int x = 0; x < 8; x++)
                    {
                        if (by + y >= h || bx + x >= w)
                            continue;
                        double sum = 0;
                        for (int v = 0; v < 8; v++)
                            for (int u = 0; u < 8; u++)
                                sum += Alpha(u) * Alpha(v) * coefficients[v * 8 + u] * s_cosines[x, u] * s_cosines[y, v];
                        output[(by + y) * w + bx + x] = 0.25 * sum + 128;
                    }
            }
        return output;
    }

    private static double Alpha(int k) => k == 0 ? 1 / Math.Sqrt(2) : 1;

    private static double[,] BuildCosines()
    {
        var c = new double[8, 8];
        for (int x = 0; x < 8; x++)
            for (int u = 0; u < 8; u++)
                c[x, u] = Math.Cos((2 * x + 1) * u * Math.PI / 16);
        return c;
    }
}
