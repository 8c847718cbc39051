using EdgeCL.Eval.Shifts;
using EdgeCL.Onnx.Images;

namespace EdgeCL.Eval.Tests.Shifts;

public class ImageCorruptionsTests
{
    public static TheoryData<string, int, int> Cases()
    {
        var data = new TheoryData<string, int, int>();
        foreach (string name in ShiftCatalog.ImageCorruptions)
            foreach (int severity in new[] { 1, 5 })
                foreach (int channels in new[] { 1, 3 })
                    data.Add(name, severity, channels);
        return data;
    }

    /// <summary>A 28×28 digit-like image: a bright ring on black, plus a colour tint for RGB.</summary>
    private static DecodedImage Digit(int channels)
    {
        var pixels = new byte[28 * 28 * channels];
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
            {
                double r = Math.Sqrt((x - 13.5) * (x - 13.5) + (y - 13.5) * (y - 13.5));
                byte v = (byte)(Math.Abs(r - 8) < 2.5 ? 230 : 10);
                for (int c = 0; c < channels; c++)
                    pixels[(y * 28 + x) * channels + c] = (byte)Math.Max(0, v - 40 * c);
            }
        return new DecodedImage(28, 28, channels, pixels);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Apply_EveryCorruption_ChangesTheImageKeepsShapeAndRange(string name, int severity, int channels)
    {
        DecodedImage clean = Digit(channels);
        DecodedImage corrupted = ImageCorruptions.Apply(new ShiftSpec(name, ShiftKind.Image, severity), clean, 11);
        Assert.Equal((28, 28, channels), (corrupted.Width, corrupted.Height, corrupted.Channels));
        Assert.Equal(clean.Pixels.Length, corrupted.Pixels.Length);
        Assert.NotEqual(clean.Pixels, corrupted.Pixels);
        // Bytes are in [0, 255] by type; check the corruption did not blow the image to one flat value.
        Assert.True(corrupted.Pixels.Distinct().Count() > 1 || name is "contrast" or "fog", $"{name}:{severity} flattened the image");
    }

    [Theory]
    [InlineData("gaussian_noise")]
    [InlineData("glass_blur")]
    [InlineData("fog")]
    [InlineData("elastic_transform")]
    [InlineData("impulse_noise")]
    public void Apply_SameSeed_SameImage_OtherSeed_Different(string name)
    {
        var shift = new ShiftSpec(name, ShiftKind.Image, 3);
        DecodedImage clean = Digit(1);
        Assert.Equal(ImageCorruptions.Apply(shift, clean, 5).Pixels, ImageCorruptions.Apply(shift, clean, 5).Pixels);
        Assert.NotEqual(ImageCorruptions.Apply(shift, clean, 5).Pixels, ImageCorruptions.Apply(shift, clean, 6).Pixels);
    }

    [Fact]
    public void Apply_HigherSeverity_MovesFurtherFromClean()
    {
        DecodedImage clean = Digit(1);
        foreach (string name in new[] { "gaussian_noise", "contrast", "pixelate", "defocus_blur", "jpeg_compression" })
        {
            double d1 = Distance(clean, ImageCorruptions.Apply(new ShiftSpec(name, ShiftKind.Image, 1), clean, 3));
            double d5 = Distance(clean, ImageCorruptions.Apply(new ShiftSpec(name, ShiftKind.Image, 5), clean, 3));
            Assert.True(d5 > d1, $"{name}: severity 5 ({d5:F1}) should differ more than severity 1 ({d1:F1})");
        }
    }

    [Fact]
    public void Apply_Brightness_OnGreyAddsToValue()
    {
        var grey = new DecodedImage(2, 1, 1, [0, 100]);
        DecodedImage b = ImageCorruptions.Apply(new ShiftSpec("brightness", ShiftKind.Image, 2), grey, 1);
        Assert.Equal(new byte[] { 51, 151 }, b.Pixels); // severity 2 adds 0.2 to V: +51 on a grey pixel
    }

    [Fact]
    public void Apply_SeverityOutOfRangeOrAudioShift_Throws()
    {
        Assert.Throws<ArgumentException>(() => ImageCorruptions.Apply(new ShiftSpec("fog", ShiftKind.Image, 6), Digit(1), 1));
        Assert.Throws<ArgumentException>(() => ImageCorruptions.Apply(new ShiftSpec("white", ShiftKind.Audio, 10), Digit(1), 1));
    }

    private static double Distance(DecodedImage a, DecodedImage b) =>
        Math.Sqrt(a.Pixels.Zip(b.Pixels, (x, y) => (double)(x - y) * (x - y)).Average());
}
