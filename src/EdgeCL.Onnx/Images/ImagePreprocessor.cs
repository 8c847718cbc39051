using EdgeCL.Onnx.Backbones;

namespace EdgeCL.Onnx.Images;

/// <summary>
/// Resizes (bilinear, pixel-centre aligned) and normalises a decoded image into an NCHW float slot.
/// </summary>
public sealed class ImagePreprocessor
{
    private readonly ImagePreprocessing _settings;
    private readonly float[] _scale;
    private readonly float[] _offset;

    /// <summary>Creates the preprocessor; validates the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public ImagePreprocessor(ImagePreprocessing settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Width is < 1 or > 8192 || settings.Height is < 1 or > 8192)
            throw new ArgumentException($"Image size {settings.Width}x{settings.Height} is out of range 1..8192.");
        if (settings.Channels is not (1 or 3))
            throw new ArgumentException($"Image channels must be 1 or 3, got {settings.Channels}.");
        if (settings.Mean.Count != settings.Channels || settings.Std.Count != settings.Channels)
            throw new ArgumentException($"Image mean/std need {settings.Channels} values each, got {settings.Mean.Count}/{settings.Std.Count}.");
        if (settings.Std.Any(s => !(s > 0f)) || !float.IsFinite(settings.Scale) || settings.Scale == 0f)
            throw new ArgumentException("Image std values must be > 0 and scale finite and non-zero.");
        _settings = settings;
        // ((v·scale) − mean)/std folded into one multiply-add per pixel.
        _scale = new float[settings.Channels];
        _offset = new float[settings.Channels];
        for (int c = 0; c < settings.Channels; c++)
        {
            _scale[c] = settings.Scale / settings.Std[c];
            _offset[c] = -settings.Mean[c] / settings.Std[c];
        }
    }

    /// <summary>Floats written per image: channels × height × width.</summary>
    public int SampleSize => _settings.Channels * _settings.Height * _settings.Width;

    /// <summary>Channels the model expects.</summary>
    public int Channels => _settings.Channels;

    /// <summary>Writes the image into <paramref name="destination"/> (CHW order).</summary>
    public void Process(DecodedImage image, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Channels != _settings.Channels)
            throw new ArgumentException($"Image has {image.Channels} channels, expected {_settings.Channels}.", nameof(image));
        if (destination.Length != SampleSize)
            throw new ArgumentException($"Destination holds {destination.Length} floats, expected {SampleSize}.", nameof(destination));
        int w = _settings.Width, h = _settings.Height, ch = _settings.Channels;
        float sx = (float)image.Width / w, sy = (float)image.Height / h;
        for (int y = 0; y < h; y++)
        {
            float fy = Math.Clamp((y + 0.5f) * sy - 0.5f, 0f, image.Height - 1);
            int y0 = (int)fy, y1 = Math.Min(y0 + 1, image.Height - 1);
            float wy = fy - y0;
            for (int x = 0; x < w; x++)
            {
                float fx = Math.Clamp((x + 0.5f) * sx - 0.5f, 0f, image.Width - 1);
                int x0 = (int)fx, x1 = Math.Min(x0 + 1, image.Width - 1);
                float wx = fx - x0;
                for (int c = 0; c < ch; c++)
                {
                    float p00 = image.Pixels[(y0 * image.Width + x0) * ch + c], p01 = image.Pixels[(y0 * image.Width + x1) * ch + c];
                    float p10 = image.Pixels[(y1 * image.Width + x0) * ch + c], p11 = image.Pixels[(y1 * image.Width + x1) * ch + c];
                    float v = (p00 * (1 - wx) + p01 * wx) * (1 - wy) + (p10 * (1 - wx) + p11 * wx) * wy;
                    destination[(c * h + y) * w + x] = v * _scale[c] + _offset[c];
                }
            }
        }
    }

    /// <summary>Canonical description for the space id.</summary>
    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"image;w={_settings.Width};h={_settings.Height};c={_settings.Channels};scale={_settings.Scale:R};mean={string.Join(",", _settings.Mean.Select(m => m.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))};std={string.Join(",", _settings.Std.Select(m => m.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))};resize=bilinear");
}
