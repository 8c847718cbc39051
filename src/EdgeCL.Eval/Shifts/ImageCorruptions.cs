using EdgeCL.Core.Evaluation;
using EdgeCL.Onnx.Images;

namespace EdgeCL.Eval.Shifts;

/// <summary>
/// The ImageNet-C / MNIST-C corruptions (Hendrycks &amp; Dietterich 2019; Mu &amp; Gilmer 2019) on decoded 8-bit
/// images, severities 1-5, deterministic by seed (algorithms.md §6).
/// </summary>
/// <remarks>
/// <para>Parameters are the 224-px ImageNet-C tables of <c>hendrycks/robustness make_imagenet_c.py</c>, used
/// unscaled on every image size, as MNIST-C does on 28 px (MNIST-C then picks low severities for the blurs: see
/// algorithms.md §6.3). The elastic transform scales with the image side, as both originals do.</para>
/// <para>Differences from the Python originals, all deliberate: motion blur is the ImageMagick-free
/// approximation of <c>bethgelab/imagecorruptions</c>; JPEG applies the lossy stages of baseline JPEG (IJG-scaled
/// Annex K tables, 8×8 DCT quantisation, 4:2:0 chroma for colour) without the lossless entropy coding, so no
/// encoder dependency is needed; random numbers come from <see cref="DeterministicRandom"/>, so images are
/// reproducible here but not bit-identical to NumPy's. Outputs are rounded to the nearest 8-bit value.</para>
/// </remarks>
public static class ImageCorruptions
{
    private static readonly double[] s_gaussian = [.08, .12, .18, .26, .38];
    private static readonly double[] s_shot = [60, 25, 12, 5, 3];
    private static readonly double[] s_impulse = [.03, .06, .09, .17, .27];
    private static readonly (double Radius, double Alias)[] s_defocus = [(3, .1), (4, .5), (6, .5), (8, .5), (10, .5)];
    private static readonly (double Sigma, int Delta, int Iterations)[] s_glass = [(.7, 1, 2), (.9, 2, 1), (1, 2, 3), (1.1, 3, 2), (1.5, 4, 2)];
    private static readonly (int Radius, double Sigma)[] s_motion = [(10, 3), (15, 5), (15, 8), (15, 12), (20, 15)];
    // np.arange(1, stop, step) as (step, count): arange's float length rule makes 1.11 inclusive at severity 1.
    private static readonly (double Step, int Count)[] s_zoom = [(.01, 12), (.01, 16), (.02, 11), (.02, 13), (.03, 11)];
    private static readonly (double Amount, double Decay)[] s_fog = [(1.5, 2), (2, 2), (2.5, 1.7), (2.5, 1.5), (3, 1.4)];
    private static readonly double[] s_brightness = [.1, .2, .3, .4, .5];
    private static readonly double[] s_contrast = [.4, .3, .2, .1, .05];
    private static readonly (double Alpha, double Sigma, double Affine)[] s_elastic = [(2, .7, .1), (2, .08, .2), (.05, .01, .02), (.07, .01, .02), (.12, .01, .02)];
    private static readonly double[] s_pixelate = [.6, .5, .4, .3, .25];
    private static readonly int[] s_jpeg = [25, 18, 15, 10, 7];

    /// <summary>Applies an image corruption.</summary>
    /// <param name="shift">An image corruption with severity 1-5 (or clean).</param>
    /// <param name="image">The decoded image (grey or RGB).</param>
    /// <param name="seed">Seed of this image's random numbers.</param>
    /// <returns>A new image of the same size and channels.</returns>
    /// <exception cref="ArgumentException">Not an image corruption, or severity out of 1-5.</exception>
    public static DecodedImage Apply(ShiftSpec shift, DecodedImage image, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(shift);
        ArgumentNullException.ThrowIfNull(image);
        if (shift.IsClean)
            return image;
        if (shift.Kind != ShiftKind.Image)
            throw new ArgumentException($"Shift '{shift}' is an audio shift; image datasets take {string.Join(", ", ShiftCatalog.ImageCorruptions)}.");
        int s = shift.Severity;
        if (s is < 1 or > 5)
            throw new ArgumentException($"Shift '{shift}': severity {s} is out of range 1-5.");
        var img = new FloatImage(image);
        var random = new DeterministicRandom(seed);
        FloatImage result = shift.Name switch
        {
            "gaussian_noise" => GaussianNoise(img, s_gaussian[s - 1], random),
            "shot_noise" => ShotNoise(img, s_shot[s - 1], random),
            "impulse_noise" => ImpulseNoise(img, s_impulse[s - 1], random),
            "defocus_blur" => Convolve(img, DiskKernel(s_defocus[s - 1].Radius, s_defocus[s - 1].Alias)),
            "glass_blur" => GlassBlur(img, s_glass[s - 1], random),
            "motion_blur" => MotionBlur(img, s_motion[s - 1].Radius, s_motion[s - 1].Sigma, random.NextDouble(-45, 45)),
            "zoom_blur" => ZoomBlur(img, s_zoom[s - 1]),
            "fog" => Fog(img, s_fog[s - 1], random),
            "brightness" => Brightness(img, s_brightness[s - 1]),
            "contrast" => Contrast(img, s_contrast[s - 1]),
            "elastic_transform" => Elastic(img, s_elastic[s - 1], random),
            "pixelate" => Pixelate(img, s_pixelate[s - 1]),
            "jpeg_compression" => Jpeg.RoundTrip(img, s_jpeg[s - 1]),
            _ => throw new ArgumentException($"Unknown image corruption '{shift.Name}'; known: {string.Join(", ", ShiftCatalog.ImageCorruptions)}."),
        };
        return result.ToDecoded();
    }

    private static FloatImage GaussianNoise(FloatImage x, double sigma, DeterministicRandom random)
    {
        for (int i = 0; i < x.Data.Length; i++)
            x.Data[i] = Clip01(x.Data[i] + sigma * random.NextGaussian());
        return x;
    }

    private static FloatImage ShotNoise(FloatImage x, double lambda, DeterministicRandom random)
    {
        for (int i = 0; i < x.Data.Length; i++)
            x.Data[i] = Clip01(random.NextPoisson(x.Data[i] * lambda) / lambda);
        return x;
    }

    private static FloatImage ImpulseNoise(FloatImage x, double amount, DeterministicRandom random)
    {
        // skimage random_noise(mode='s&p'): each element flips with probability amount, to 1 or 0 with equal odds.
        for (int i = 0; i < x.Data.Length; i++)
        {
            bool flipped = random.NextDouble() < amount;
            bool salted = random.NextDouble() < 0.5;
            if (flipped)
                x.Data[i] = salted ? 1 : 0;
        }
        return x;
    }

    /// <summary>The anti-aliased disk of ImageNet-C's defocus blur: a binary disk, normalised, then a small Gaussian blur.</summary>
    internal static double[,] DiskKernel(double radius, double alias)
    {
        int half = radius <= 8 ? 8 : (int)radius;
        int ksize = radius <= 8 ? 3 : 5;
        int n = 2 * half + 1;
        var mask = new double[n, n];
        double sum = 0;
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
                if ((x - half) * (x - half) + (y - half) * (y - half) <= radius * radius)
                {
                    mask[y, x] = 1;
                    sum++;
                }
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
                mask[y, x] /= sum;
        // cv2.GaussianBlur(mask, (ksize, ksize), alias) with BORDER_REFLECT_101.
        double[] g = GaussianKernel1D(ksize, alias);
        var tmp = new double[n, n];
        var output = new double[n, n];
        int r = ksize / 2;
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
            {
                double acc = 0;
                for (int k = -r; k <= r; k++)
                    acc += g[k + r] * mask[y, Border.Reflect101(x + k, n)];
                tmp[y, x] = acc;
            }
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
            {
                double acc = 0;
                for (int k = -r; k <= r; k++)
                    acc += g[k + r] * tmp[Border.Reflect101(y + k, n), x];
                output[y, x] = acc;
            }
        return output;
    }

    private static double[] GaussianKernel1D(int size, double sigma)
    {
        var k = new double[size];
        double sum = 0;
        for (int i = 0; i < size; i++)
        {
            double d = i - (size - 1) / 2.0;
            k[i] = Math.Exp(-d * d / (2 * sigma * sigma));
            sum += k[i];
        }
        for (int i = 0; i < size; i++)
            k[i] /= sum;
        return k;
    }

    /// <summary>cv2.filter2D per channel (correlation, BORDER_REFLECT_101), clipped to [0, 1].</summary>
    private static FloatImage Convolve(FloatImage x, double[,] kernel)
    {
        int kh = kernel.GetLength(0), kw = kernel.GetLength(1), ry = kh / 2, rx = kw / 2;
        var output = x.CloneEmpty();
        for (int c = 0; c < x.Channels; c++)
            for (int y = 0; y < x.Height; y++)
                for (int xx = 0; xx < x.Width; xx++)
                {
                    double acc = 0;
                    for (int i = 0; i < kh; i++)
                    {
                        int sy = Border.Reflect101(y + i - ry, x.Height);
                        for (int j = 0; j < kw; j++)
                            acc += kernel[i, j] * x[Border.Reflect101(xx + j - rx, x.Width), sy, c];
                    }
                    output[xx, y, c] = Clip01(acc);
                }
        return output;
    }

    private static FloatImage GlassBlur(FloatImage x, (double Sigma, int Delta, int Iterations) c, DeterministicRandom random)
    {
        // gaussian → uint8 (truncation) → local pixel swaps → gaussian (make_imagenet_c.py glass_blur).
        FloatImage blurred = GaussianFilter(x, c.Sigma, 4.0, BorderMode.Nearest);
        for (int i = 0; i < blurred.Data.Length; i++)
            blurred.Data[i] = Math.Floor(Clip01(blurred.Data[i]) * 255) / 255;
        int d = c.Delta;
        for (int it = 0; it < c.Iterations; it++)
            for (int h = blurred.Height - d; h > d; h--)
                for (int w = blurred.Width - d; w > d; w--)
                {
                    int dx = random.NextInt(-d, d), dy = random.NextInt(-d, d);
                    int hp = h + dy, wp = w + dx;
                    if (hp < 0 || hp >= blurred.Height || wp < 0 || wp >= blurred.Width || h >= blurred.Height || w >= blurred.Width)
                        continue;
                    for (int ch = 0; ch < blurred.Channels; ch++)
                        (blurred[w, h, ch], blurred[wp, hp, ch]) = (blurred[wp, hp, ch], blurred[w, h, ch]);
                }
        FloatImage output = GaussianFilter(blurred, c.Sigma, 4.0, BorderMode.Nearest);
        for (int i = 0; i < output.Data.Length; i++)
            output.Data[i] = Clip01(output.Data[i]);
        return output;
    }

    private static FloatImage MotionBlur(FloatImage x, int radius, double sigma, double angleDegrees)
    {
        // bethgelab/imagecorruptions _motion_blur: a one-sided Gaussian kernel laid along the angle.
        int width = 2 * radius + 1;
        var kernel = new double[width];
        double sum = 0;
        for (int i = 0; i < width; i++)
        {
            kernel[i] = Math.Exp(-(i * i) / (2 * sigma * sigma)) / (Math.Sqrt(2 * Math.PI) * sigma);
            sum += kernel[i];
        }
        double theta = angleDegrees * Math.PI / 180;
        double py = width * Math.Sin(theta), px = width * Math.Cos(theta), hyp = Math.Sqrt(px * px + py * py);
        var output = x.CloneEmpty();
        for (int i = 0; i < width; i++)
        {
            int dy = -(int)Math.Ceiling(i * py / hyp - 0.5);
            int dx = -(int)Math.Ceiling(i * px / hyp - 0.5);
            if (Math.Abs(dy) >= x.Height || Math.Abs(dx) >= x.Width)
                break;
            double w = kernel[i] / sum;
            for (int c = 0; c < x.Channels; c++)
                for (int y = 0; y < x.Height; y++)
                    for (int xx = 0; xx < x.Width; xx++)
                        output[xx, y, c] += w * x[Math.Clamp(xx - dx, 0, x.Width - 1), Math.Clamp(y - dy, 0, x.Height - 1), c];
        }
        for (int i = 0; i < output.Data.Length; i++)
            output.Data[i] = Clip01(output.Data[i]);
        return output;
    }

    private static FloatImage ZoomBlur(FloatImage x, (double Step, int Count) zooms)
    {
        var output = new FloatImage(x.Width, x.Height, x.Channels);
        Array.Copy(x.Data, output.Data, x.Data.Length);
        for (int i = 0; i < zooms.Count; i++)
        {
            FloatImage zoomed = ClippedZoom(x, 1 + i * zooms.Step);
            for (int k = 0; k < output.Data.Length; k++)
                output.Data[k] += zoomed.Data[k];
        }
        for (int k = 0; k < output.Data.Length; k++)
            output.Data[k] = Clip01(output.Data[k] / (zooms.Count + 1));
        return output;
    }

    /// <summary>Crops the centre 1/z of each axis and zooms it back (scipy.ndimage.zoom, order 1), trimmed to size.</summary>
    internal static FloatImage ClippedZoom(FloatImage x, double z)
    {
        var output = new FloatImage(x.Width, x.Height, x.Channels);
        (int top, int ch, int outH, int trimTop) = ZoomAxis(x.Height, z);
        (int left, int cw, int outW, int trimLeft) = ZoomAxis(x.Width, z);
        for (int y = 0; y < x.Height; y++)
        {
            // scipy zoom (grid_mode=False): output o maps to input o·(in − 1)/(out − 1).
            double sy = outH > 1 ? (y + trimTop) * (ch - 1.0) / (outH - 1) : 0;
            int y0 = (int)Math.Floor(sy), y1 = Math.Min(y0 + 1, ch - 1);
            double fy = sy - y0;
            for (int xx = 0; xx < x.Width; xx++)
            {
                double sx = outW > 1 ? (xx + trimLeft) * (cw - 1.0) / (outW - 1) : 0;
                int x0 = (int)Math.Floor(sx), x1 = Math.Min(x0 + 1, cw - 1);
                double fx = sx - x0;
                for (int c = 0; c < x.Channels; c++)
                {
                    double a = x[left + x0, top + y0, c] * (1 - fx) + x[left + x1, top + y0, c] * fx;
                    double b = x[left + x0, top + y1, c] * (1 - fx) + x[left + x1, top + y1, c] * fx;
                    output[xx, y, c] = a * (1 - fy) + b * fy;
                }
            }
        }
        return output;

        static (int Start, int Crop, int Zoomed, int Trim) ZoomAxis(int size, double zoom)
        {
            int crop = (int)Math.Ceiling(size / zoom);
            int start = (size - crop) / 2;
            int zoomed = (int)Math.Round(crop * zoom);
            return (start, crop, zoomed, (zoomed - size) / 2);
        }
    }

    private static FloatImage Fog(FloatImage x, (double Amount, double Decay) c, DeterministicRandom random)
    {
        int mapSize = Math.Max(256, Fft.NextPowerOfTwo(Math.Max(x.Width, x.Height)));
        double[,] plasma = PlasmaFractal(mapSize, c.Decay, random);
        double max = 0;
        foreach (double v in x.Data)
            max = Math.Max(max, v);
        var output = x.CloneEmpty();
        for (int y = 0; y < x.Height; y++)
            for (int xx = 0; xx < x.Width; xx++)
                for (int ch = 0; ch < x.Channels; ch++)
                    output[xx, y, ch] = Clip01((x[xx, y, ch] + c.Amount * plasma[y, xx]) * max / (max + c.Amount));
        return output;
    }

    /// <summary>Diamond-square height map in [0, 1] (make_imagenet_c.py plasma_fractal).</summary>
    internal static double[,] PlasmaFractal(int mapSize, double decay, DeterministicRandom random)
    {
        var map = new double[mapSize, mapSize];
        int step = mapSize;
        double wibble = 100;
        while (step >= 2)
        {
            int half = step / 2, m = mapSize / step;
            // Squares: centre = mean of the four corners (wrapping) + noise.
            for (int i = 0; i < m; i++)
                for (int j = 0; j < m; j++)
                {
                    int y0 = i * step, x0 = j * step, y1 = (y0 + step) % mapSize, x1 = (x0 + step) % mapSize;
                    double corners = map[y0, x0] + map[y1, x0] + map[y0, x1] + map[y1, x1];
                    map[y0 + half, x0 + half] = corners / 4 + wibble * random.NextDouble(-wibble, wibble);
                }
            // Diamonds: edge midpoints = mean of the two centres and two corners beside them (wrapping) + noise.
            for (int i = 0; i < m; i++)
                for (int j = 0; j < m; j++)
                {
                    int y = i * step, x = j * step + half;
                    double s = map[(y + half) % mapSize, x] + map[(y - half + mapSize) % mapSize, x]
                        + map[y, x - half] + map[y, (x + half) % mapSize];
                    map[y, x] = s / 4 + wibble * random.NextDouble(-wibble, wibble);
                }
            for (int i = 0; i < m; i++)
                for (int j = 0; j < m; j++)
                {
                    int y = i * step + half, x = j * step;
                    double s = map[y, (x + half) % mapSize] + map[y, (x - half + mapSize) % mapSize]
                        + map[y - half, x] + map[(y + half) % mapSize, x];
                    map[y, x] = s / 4 + wibble * random.NextDouble(-wibble, wibble);
                }
            step /= 2;
            wibble /= decay;
        }
        double min = double.MaxValue, max = double.MinValue;
        foreach (double v in map)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        for (int y = 0; y < mapSize; y++)
            for (int x = 0; x < mapSize; x++)
                map[y, x] = max > min ? (map[y, x] - min) / (max - min) : 0;
        return map;
    }

    private static FloatImage Brightness(FloatImage x, double amount)
    {
        // RGB → HSV, V += c (clipped), → RGB. With H and S fixed, RGB scales by V'/V; black becomes grey V'.
        for (int y = 0; y < x.Height; y++)
            for (int xx = 0; xx < x.Width; xx++)
            {
                double v = 0;
                for (int c = 0; c < x.Channels; c++)
                    v = Math.Max(v, x[xx, y, c]);
                double vNew = Clip01(v + amount);
                for (int c = 0; c < x.Channels; c++)
                    x[xx, y, c] = v > 0 ? Clip01(x[xx, y, c] * vNew / v) : vNew;
            }
        return x;
    }

    private static FloatImage Contrast(FloatImage x, double factor)
    {
        for (int c = 0; c < x.Channels; c++)
        {
            double mean = 0;
            for (int y = 0; y < x.Height; y++)
                for (int xx = 0; xx < x.Width; xx++)
                    mean += x[xx, y, c];
            mean /= x.Width * x.Height;
            for (int y = 0; y < x.Height; y++)
                for (int xx = 0; xx < x.Width; xx++)
                    x[xx, y, c] = Clip01((x[xx, y, c] - mean) * factor + mean);
        }
        return x;
    }

    private static FloatImage Elastic(FloatImage x, (double Alpha, double Sigma, double Affine) c, DeterministicRandom random)
    {
        // make_imagenet_c.py elastic_transform: a random affine (BORDER_REFLECT_101), then a smooth random
        // displacement field (gaussian of U(−1, 1), mode reflect, truncate 3) sampled bilinearly (mode reflect).
        double size = Math.Min(x.Width, x.Height);
        double alpha = c.Alpha * size, sigma = c.Sigma * size, affine = c.Affine * size;
        double cy = x.Height / 2, cx = x.Width / 2, sq = Math.Floor(size / 3);
        double[,] src = { { cy + sq, cx + sq }, { cy + sq, cx - sq }, { cy - sq, cx - sq } };
        var dst = new double[3, 2];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 2; j++)
                dst[i, j] = src[i, j] + random.NextDouble(-affine, affine);
        // cv2 treats the points as (x, y); warpAffine samples src at M⁻¹·dst, so solve the inverse map dst → src directly.
        double[] inverse = AffineFromPoints(dst, src);
        var warped = x.CloneEmpty();
        for (int y = 0; y < x.Height; y++)
            for (int xx = 0; xx < x.Width; xx++)
            {
                double sx = inverse[0] * xx + inverse[1] * y + inverse[2];
                double sy = inverse[3] * xx + inverse[4] * y + inverse[5];
                for (int ch = 0; ch < x.Channels; ch++)
                    warped[xx, y, ch] = Bilinear(x, sx, sy, ch, BorderMode.Reflect101);
            }
        double[] dx = DisplacementField(x.Width, x.Height, sigma, alpha, random);
        double[] dy = DisplacementField(x.Width, x.Height, sigma, alpha, random);
        var output = x.CloneEmpty();
        for (int y = 0; y < x.Height; y++)
            for (int xx = 0; xx < x.Width; xx++)
                for (int ch = 0; ch < x.Channels; ch++)
                    output[xx, y, ch] = Clip01(Bilinear(warped, xx + dx[y * x.Width + xx], y + dy[y * x.Width + xx], ch, BorderMode.Reflect));
        return output;
    }

    private static double[] DisplacementField(int width, int height, double sigma, double alpha, DeterministicRandom random)
    {
        var field = new FloatImage(width, height, 1);
        for (int i = 0; i < field.Data.Length; i++)
            field.Data[i] = random.NextDouble(-1, 1);
        FloatImage smooth = GaussianFilter(field, sigma, 3.0, BorderMode.Reflect);
        var result = new double[width * height];
        for (int i = 0; i < result.Length; i++)
            result[i] = smooth.Data[i] * alpha;
        return result;
    }

    /// <summary>The 2×3 affine map (row-major a b c / d e f, x' = a·x + b·y + c) sending three (x, y) points to three others.</summary>
    private static double[] AffineFromPoints(double[,] from, double[,] to)
    {
        // Solve [x y 1] · [a d; b e; c f] = [x' y'] for the three points (Cramer's rule on the 3×3 system).
        double x1 = from[0, 0], y1 = from[0, 1], x2 = from[1, 0], y2 = from[1, 1], x3 = from[2, 0], y3 = from[2, 1];
        double det = x1 * (y2 - y3) - y1 * (x2 - x3) + (x2 * y3 - x3 * y2);
        if (Math.Abs(det) < 1e-12)
            return [1, 0, 0, 0, 1, 0];
        double[] Solve(int k)
        {
            double u1 = to[0, k], u2 = to[1, k], u3 = to[2, k];
            double a = (u1 * (y2 - y3) - y1 * (u2 - u3) + (u2 * y3 - u3 * y2)) / det;
            double b = (x1 * (u2 - u3) - u1 * (x2 - x3) + (x2 * u3 - x3 * u2)) / det;
            double c = (x1 * (y2 * u3 - y3 * u2) - y1 * (x2 * u3 - x3 * u2) + u1 * (x2 * y3 - x3 * y2)) / det;
            return [a, b, c];
        }
        double[] row0 = Solve(0), row1 = Solve(1);
        return [row0[0], row0[1], row0[2], row1[0], row1[1], row1[2]];
    }

    private static FloatImage Pixelate(FloatImage x, double factor)
    {
        int w = Math.Max(1, (int)(x.Width * factor)), h = Math.Max(1, (int)(x.Height * factor));
        FloatImage small = BoxResize(x, w, h);
        FloatImage back = BoxResize(small, x.Width, x.Height);
        for (int i = 0; i < back.Data.Length; i++)
            back.Data[i] = Clip01(back.Data[i]);
        return back;
    }

    /// <summary>Area-averaging resize (PIL's BOX filter): each output pixel averages the input area it covers.</summary>
    private static FloatImage BoxResize(FloatImage x, int width, int height)
    {
        (int[] Start, double[][] Weights)[] axes = [BoxWeights(x.Width, width), BoxWeights(x.Height, height)];
        var tmp = new FloatImage(width, x.Height, x.Channels);
        for (int y = 0; y < x.Height; y++)
            for (int o = 0; o < width; o++)
                for (int c = 0; c < x.Channels; c++)
                {
                    double acc = 0;
                    double[] wts = axes[0].Weights[o];
                    for (int k = 0; k < wts.Length; k++)
                        acc += wts[k] * x[axes[0].Start[o] + k, y, c];
                    tmp[o, y, c] = acc;
                }
        var output = new FloatImage(width, height, x.Channels);
        for (int o = 0; o < height; o++)
            for (int xx = 0; xx < width; xx++)
                for (int c = 0; c < x.Channels; c++)
                {
                    double acc = 0;
                    double[] wts = axes[1].Weights[o];
                    for (int k = 0; k < wts.Length; k++)
                        acc += wts[k] * tmp[xx, axes[1].Start[o] + k, c];
                    output[xx, o, c] = acc;
                }
        return output;

        static (int[] Start, double[][] Weights) BoxWeights(int input, int output)
        {
            var starts = new int[output];
            var weights = new double[output][];
            double scale = (double)input / output;
            for (int o = 0; o < output; o++)
            {
                double a = o * scale, b = (o + 1) * scale;
                int first = (int)Math.Floor(a), last = Math.Min(input - 1, (int)Math.Ceiling(b) - 1);
                starts[o] = first;
                weights[o] = new double[last - first + 1];
                double total = 0;
                for (int i = first; i <= last; i++)
                {
                    double overlap = Math.Min(b, i + 1) - Math.Max(a, i);
                    weights[o][i - first] = Math.Max(0, overlap);
                    total += weights[o][i - first];
                }
                for (int i = 0; i < weights[o].Length; i++)
                    weights[o][i] /= total;
            }
            return (starts, weights);
        }
    }

    /// <summary>Separable Gaussian filter per channel (scipy.ndimage.gaussian_filter; radius = ⌊truncate·σ + 0.5⌋).</summary>
    internal static FloatImage GaussianFilter(FloatImage x, double sigma, double truncate, BorderMode mode)
    {
        int radius = (int)(truncate * sigma + 0.5);
        var k = new double[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++)
        {
            k[i + radius] = Math.Exp(-0.5 * i * i / (sigma * sigma));
            sum += k[i + radius];
        }
        for (int i = 0; i < k.Length; i++)
            k[i] /= sum;
        var tmp = x.CloneEmpty();
        var output = x.CloneEmpty();
        for (int c = 0; c < x.Channels; c++)
        {
            for (int y = 0; y < x.Height; y++)
                for (int xx = 0; xx < x.Width; xx++)
                {
                    double acc = 0;
                    for (int i = -radius; i <= radius; i++)
                        acc += k[i + radius] * x[Border.Map(xx + i, x.Width, mode), y, c];
                    tmp[xx, y, c] = acc;
                }
            for (int y = 0; y < x.Height; y++)
                for (int xx = 0; xx < x.Width; xx++)
                {
                    double acc = 0;
                    for (int i = -radius; i <= radius; i++)
                        acc += k[i + radius] * tmp[xx, Border.Map(y + i, x.Height, mode), c];
                    output[xx, y, c] = acc;
                }
        }
        return output;
    }

    private static double Bilinear(FloatImage x, double sx, double sy, int c, BorderMode mode)
    {
        int x0 = (int)Math.Floor(sx), y0 = (int)Math.Floor(sy);
        double fx = sx - x0, fy = sy - y0;
        double Pixel(int px, int py) => x[Border.Map(px, x.Width, mode), Border.Map(py, x.Height, mode), c];
        double a = Pixel(x0, y0) * (1 - fx) + Pixel(x0 + 1, y0) * fx;
        double b = Pixel(x0, y0 + 1) * (1 - fx) + Pixel(x0 + 1, y0 + 1) * fx;
        return a * (1 - fy) + b * fy;
    }

    private static double Clip01(double v) => v < 0 ? 0 : v > 1 ? 1 : v;
}
