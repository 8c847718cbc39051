using EdgeCL.Onnx.Images;

namespace EdgeCL.Device.Sources;

/// <summary>Turns a frame in a reused buffer into a <see cref="DecodedImage"/> the agent can keep.</summary>
internal static class FrameImages
{
    /// <summary>Bytes per pixel of a raw pixel format, or 0 when the format is unknown.</summary>
    public static int BytesPerPixel(string format) => format.ToLowerInvariant() switch
    {
        "gray8" => 1,
        "rgb24" or "bgr24" => 3,
        _ => 0,
    };

    /// <summary>
    /// Copies <paramref name="frame"/> (grey, RGB, or BGR when <paramref name="bgr"/>) into a new image with
    /// <paramref name="outputChannels"/> channels (0 = as the frame has them).
    /// </summary>
    /// <remarks>
    /// The pixel array is allocated per emitted frame on purpose: the sample crosses a channel to the agent's thread and may
    /// wait there while the next frame is read into the reused buffer. Frames skipped by <c>every_nth_frame</c> allocate nothing.
    /// A BGR frame is swapped to RGB in place first, so <paramref name="frame"/> is modified.
    /// </remarks>
    public static DecodedImage ToImage(byte[] frame, int width, int height, int channels, bool bgr, int outputChannels)
    {
        if (bgr)
        {
            for (int i = 0; i + 2 < frame.Length; i += 3)
                (frame[i], frame[i + 2]) = (frame[i + 2], frame[i]);
        }
        if (outputChannels != 0 && outputChannels != channels)
            return ImageDecoder.ConvertChannels(new DecodedImage(width, height, channels, frame), outputChannels); // allocates the copy
        return new DecodedImage(width, height, channels, frame.AsSpan(0, width * height * channels).ToArray());
    }

    /// <summary>The sample for one frame: numbered for logs, stamped now (the start of its latency).</summary>
    public static InputSample Sample(string source, long frame, DecodedImage image, string? label) => new()
    {
        Source = source,
        Origin = $"frame {frame}",
        Image = image,
        Label = label,
        CompletedTimestamp = System.Diagnostics.Stopwatch.GetTimestamp(),
    };
}
