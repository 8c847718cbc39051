using EdgeCL.Onnx.Images;

namespace EdgeCL.Device.Sources;

/// <summary>One sample from a source: a file, a decoded image, an utterance's PCM, or an embedding a source computed while streaming.</summary>
/// <remarks>
/// Exactly one of <see cref="FilePath"/>, <see cref="Image"/>, <see cref="Pcm"/> or <see cref="Embedding"/> is set, or none
/// when <see cref="NotAWord"/> says why a live audio source did not embed it. The agent embeds what is not yet embedded
/// with its backbone, then learns (when <see cref="Label"/> is set) or recognises.
/// </remarks>
public sealed class InputSample
{
    /// <summary>The source's name, e.g. <c>pcm:/run/edgecl/mic.fifo</c>.</summary>
    public required string Source { get; init; }

    /// <summary>What the sample is, for logs: a file path, or e.g. <c>utterance 12 at 3.52-4.31 s</c>.</summary>
    public required string Origin { get; init; }

    /// <summary>A file the backbone's front end reads (wav, png, pgm, ...).</summary>
    public string? FilePath { get; init; }

    /// <summary>A decoded frame (image backbones).</summary>
    public DecodedImage? Image { get; init; }

    /// <summary>16 kHz mono PCM at int16 scale (speech backbones).</summary>
    public float[]? Pcm { get; init; }

    /// <summary>An embedding already computed by the source (streaming audio), in the backbone's space.</summary>
    public float[]? Embedding { get; init; }

    /// <summary>A live audio utterance's timing (how long its speech lasted, the pause before it, whether it is part of
    /// a longer stretch of speech); null for files, frames and corrections.</summary>
    public SpeechTiming? Speech { get; init; }

    /// <summary>Set by a live audio source that did not embed the utterance because its timing alone makes it "unknown"
    /// (<see cref="SourceContext.NotAWord"/>: <c>no-pause</c>, <c>after-talk</c>, <c>long-speech</c>); the agent answers it so without the learner.</summary>
    public string? NotAWord { get; init; }

    /// <summary>When set, the sample is a labelled example of this class; otherwise it is recognised (and may adapt the head).</summary>
    public string? Label { get; init; }

    /// <summary><see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> when the sample was complete (an utterance's end, a frame's read): the start of its latency.</summary>
    public long CompletedTimestamp { get; init; }

    /// <summary>Called by the agent after the sample was handled (learned durably or recognised); e.g. a folder source then deletes the file. Null when nothing is to be done.</summary>
    public Action<bool>? Handled { get; init; }

    /// <summary>Offers the sample again on the source's next poll, after it was reported not handled for a passing reason
    /// (the disk was full). Null when the source cannot offer it again (a live stream's utterance is gone).</summary>
    public Action? Retry { get; init; }
}
