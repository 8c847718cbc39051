using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Images;

namespace EdgeCL.Fuzz.Targets;

/// <summary>Image decoding as the image backbone reads a file (<see cref="ImageDecoder.Decode"/>: PNM by the project's own
/// decoder, PNG/JPEG/BMP/GIF/TGA through StbImageSharp), to RGB and to grey.</summary>
/// <remarks>Clear error: <see cref="InputFormatException"/>. One class, three targets (png, jpeg, pnm): the same entry point
/// seeded with one format each, so each format's decoder gets its share of the time.</remarks>
internal sealed class ImageTarget(string format) : IFuzzTarget
{
    public string Name => "image-" + format;

    public void Run(byte[] input)
    {
        try
        {
            DecodedImage rgb = ImageDecoder.Decode(input, 3, "fuzz");
            ImageDecoder.ConvertChannels(rgb, 1);
        }
        catch (InputFormatException)
        {
            // The documented answer to a bad image.
        }
    }
}
