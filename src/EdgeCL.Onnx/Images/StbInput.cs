namespace EdgeCL.Onnx.Images;

/// <summary>The bytes handed to StbImageSharp, with stb_image.h's own rule for skipping: never backwards, never past the end.</summary>
/// <remarks>
/// stb_image.h's <c>stbi__skip</c> moves to the end of the data when a corrupt length asks to skip a negative count or
/// beyond the end. StbImageSharp's port seeks the stream by the raw count instead: backwards, which loops forever on a
/// 311-byte JPEG and throws IOException on a PNG chunk length over 2^31; or past the end, where its end-of-data test never
/// holds. Found by fuzzing (ops/fuzz); this stream restores the C behaviour.
/// </remarks>
internal sealed class StbInput(byte[] bytes) : MemoryStream(bytes, writable: false)
{
    public override long Seek(long offset, SeekOrigin loc)
    {
        if (loc == SeekOrigin.Current && (offset < 0 || offset > Length - Position))
            return base.Seek(0, SeekOrigin.End);
        return base.Seek(offset, loc);
    }
}
