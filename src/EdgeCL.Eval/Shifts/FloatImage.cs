using EdgeCL.Onnx.Images;

namespace EdgeCL.Eval.Shifts;

/// <summary>An image as doubles in [0, 1], interleaved height × width × channels, for the corruption maths.</summary>
internal sealed class FloatImage
{
    public FloatImage(int width, int height, int channels)
    {
        Width = width;
        Height = height;
        Channels = channels;
        Data = new double[width * height * channels];
    }

    public FloatImage(DecodedImage image)
        : this(image.Width, image.Height, image.Channels)
    {
        for (int i = 0; i < Data.Length; i++)
            Data[i] = image.Pixels[i] / 255.0;
    }

    public int Width { get; }

    public int Height { get; }

    public int Channels { get; }

    public double[] Data { get; }

    public double this[int x, int y, int c]
    {
        get => Data[(y * Width + x) * Channels + c];
        set => Data[(y * Width + x) * Channels + c] = value;
    }

    public FloatImage CloneEmpty() => new(Width, Height, Channels);

    /// <summary>Back to 8 bits: clipped to [0, 1], ×255, rounded to nearest.</summary>
    public DecodedImage ToDecoded()
    {
        var pixels = new byte[Data.Length];
        for (int i = 0; i < Data.Length; i++)
        {
            double v = Data[i];
            pixels[i] = (byte)Math.Round(Math.Clamp(double.IsNaN(v) ? 0 : v, 0, 1) * 255, MidpointRounding.AwayFromZero);
        }
        return new DecodedImage(Width, Height, Channels, pixels);
    }
}
