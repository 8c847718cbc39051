using System.Buffers.Binary;
using System.Text;
using EdgeCL.Core.Rollout;
using EdgeCL.Device.Sources;
using EdgeCL.Onnx.Audio;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;

namespace EdgeCL.Device.Rollout;

/// <summary>
/// The raw input an exemplar keeps, in a form any later backbone can read again: a tag byte, then either a clip as 16-bit
/// little-endian PCM (half the bytes of float samples, and exactly what a microphone gave) or a file's bytes with its extension.
/// </summary>
/// <remarks>Camera frames (decoded pixels, no file) are not kept yet: a rollout maps their classes.</remarks>
public static class ExemplarInput
{
    private const byte PcmTag = 1, FileTag = 2;

    /// <summary>The kept form of a sample's input, or null when the sample has none that can be kept (a camera frame, a given
    /// embedding, a file too large for an exemplar or gone).</summary>
    public static byte[]? Encode(InputSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        if (sample.Pcm is { } pcm)
        {
            byte[] bytes = new byte[1 + 2 * pcm.Length];
            bytes[0] = PcmTag;
            WavWriter.WriteSamples16(pcm, bytes.AsSpan(1));
            return bytes;
        }
        if (sample.FilePath is not { } path)
            return null;
        byte[] extension = Encoding.UTF8.GetBytes(Path.GetExtension(path));
        try
        {
            var file = new FileInfo(path);
            if (!file.Exists || extension.Length > 16 || file.Length + 2 + extension.Length > ExemplarStoreOptions.MaxInputBytes)
                return null;
            byte[] content = File.ReadAllBytes(path);
            byte[] bytes = new byte[2 + extension.Length + content.Length];
            bytes[0] = FileTag;
            bytes[1] = (byte)extension.Length;
            extension.CopyTo(bytes, 2);
            content.CopyTo(bytes, 2 + extension.Length);
            return bytes;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // the file went away (moved to done) between learning and keeping: one exemplar fewer, nothing more
        }
    }

    /// <summary>Embeds a kept input with <paramref name="backbone"/>; a file is written to <paramref name="scratchFolder"/> for the
    /// backbone to read, then deleted.</summary>
    /// <exception cref="InputFormatException">The input is damaged, or of a kind this backbone does not read.</exception>
    public static void Embed(IEmbeddingBackbone backbone, byte[] input, Span<float> embedding, string scratchFolder)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(input);
        if (input.Length > 1 && input[0] == PcmTag && input.Length % 2 == 1)
        {
            if (backbone is not SpeechBackbone speech)
                throw new InputFormatException($"A kept audio clip cannot be embedded by backbone '{backbone.Name}'; roll out to a speech backbone.");
            var samples = new float[(input.Length - 1) / 2];
            for (int i = 0; i < samples.Length; i++)
                samples[i] = BinaryPrimitives.ReadInt16LittleEndian(input.AsSpan(1 + 2 * i));
            speech.EmbedPcm(samples, embedding);
            return;
        }
        if (input.Length > 2 && input[0] == FileTag && input.Length > 2 + input[1])
        {
            string extension = Encoding.UTF8.GetString(input, 2, input[1]);
            if (extension.Length > 0 && (extension[0] != '.' || extension.AsSpan(1).ContainsAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")))
                throw new InputFormatException($"A kept file has the extension '{extension}', which is not a plain file extension; the exemplar is damaged.");
            string path = Path.Combine(scratchFolder, "rollout-exemplar" + extension);
            File.WriteAllBytes(path, input.AsSpan(2 + input[1]).ToArray());
            try
            {
                backbone.EmbedFile(path, embedding);
            }
            finally
            {
                File.Delete(path);
            }
            return;
        }
        throw new InputFormatException($"A kept exemplar input of {input.Length} bytes has an unknown form (tag {(input.Length > 0 ? input[0] : -1)}); the exemplar is damaged.");
    }
}
