using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Images;

namespace EdgeCL.Onnx.Tests.Images;

public class ImageDecoderTests
{
    internal static byte[] Pgm(int w, int h, Func<int, int, byte> pixel)
    {
        var header = System.Text.Encoding.ASCII.GetBytes($"P5\n# test\n{w} {h}\n255\n");
        var data = new byte[w * h];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) data[y * w + x] = pixel(x, y);
        return [.. header, .. data];
    }

    [Fact]
    public void Decode_BinaryAndAsciiPgm_SamePixels()
    {
        byte[] binary = Pgm(3, 2, (x, y) => (byte)(10 * x + 100 * y));
        byte[] ascii = System.Text.Encoding.ASCII.GetBytes("P2 3 2 255\n0 10 20\n100 110 120\n");
        Assert.Equal(ImageDecoder.Decode(binary, 1, "b").Pixels, ImageDecoder.Decode(ascii, 1, "a").Pixels);
    }

    [Fact]
    public void Decode_Ppm_ToGreyUsesBt601()
    {
        byte[] ppm = [.. System.Text.Encoding.ASCII.GetBytes("P6 1 1 255\n"), 255, 0, 0];
        Assert.Equal(76, ImageDecoder.Decode(ppm, 1, "red").Pixels[0]);
        Assert.Equal(new byte[] { 255, 0, 0 }, ImageDecoder.Decode(ppm, 3, "red").Pixels);
    }

    [Fact]
    public void ConvertChannels_RgbToGreyAndBack_KeepsLuma()
    {
        var rgb = new DecodedImage(2, 1, 3, [255, 0, 0, 10, 20, 30]);
        DecodedImage grey = ImageDecoder.ConvertChannels(rgb, 1);
        Assert.Equal(new byte[] { 76, 18 }, grey.Pixels);
        Assert.Equal(new byte[] { 76, 76, 76, 18, 18, 18 }, ImageDecoder.ConvertChannels(grey, 3).Pixels);
        Assert.Same(grey, ImageDecoder.ConvertChannels(grey, 1));
    }

    [Fact]
    public void Decode_BadImages_InputFormatException()
    {
        Assert.Throws<InputFormatException>(() => ImageDecoder.Decode([], 1, "empty"));
        Assert.Throws<InputFormatException>(() => ImageDecoder.Decode(Pgm(4, 4, (_, _) => 1)[..20], 1, "truncated"));
        Assert.Throws<InputFormatException>(() => ImageDecoder.Decode("P5 99999 99999 255\n"u8.ToArray(), 1, "huge"));
        Assert.Throws<InputFormatException>(() => ImageDecoder.Decode("\x89PNG garbage that is not a png"u8.ToArray(), 1, "png"));
        Assert.Throws<InputFormatException>(() => ImageDecoder.Decode("hello world"u8.ToArray(), 1, "text"));
        var missing = Assert.Throws<InputFormatException>(() => ImageDecoder.DecodeFile("/nonexistent/x.png", 1));
        Assert.Contains("cannot be read", missing.Message);
    }

    [Fact]
    public void Preprocessor_SameSize_NormalisesExactly()
    {
        var p = new ImagePreprocessor(new ImagePreprocessing { Width = 2, Height = 2, Channels = 1, Scale = 1f / 255, Mean = [0.5f], Std = [0.25f] });
        var image = new DecodedImage(2, 2, 1, [0, 255, 51, 102]);
        var dst = new float[4];
        p.Process(image, dst);
        Assert.Equal([-2f, 2f, -1.2f, -0.4f], dst.Select(v => MathF.Round(v, 4)).ToArray());
    }

    [Fact]
    public void Preprocessor_Downscale_AveragesNeighbours()
    {
        var p = new ImagePreprocessor(new ImagePreprocessing { Width = 1, Height = 1, Channels = 1, Scale = 1, Mean = [0], Std = [1] });
        var dst = new float[1];
        p.Process(new DecodedImage(2, 2, 1, [0, 100, 100, 200]), dst);
        Assert.Equal(100f, dst[0]);
    }

    [Fact]
    public void Preprocessor_BadSettings_Refused()
    {
        Assert.Throws<ArgumentException>(() => new ImagePreprocessor(new ImagePreprocessing { Width = 0, Height = 2 }));
        Assert.Throws<ArgumentException>(() => new ImagePreprocessor(new ImagePreprocessing { Width = 2, Height = 2, Channels = 3, Mean = [0], Std = [1] }));
        Assert.Throws<ArgumentException>(() => new ImagePreprocessor(new ImagePreprocessing { Width = 2, Height = 2, Std = [0] }));
    }
}
