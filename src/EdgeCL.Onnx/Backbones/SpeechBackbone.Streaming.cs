using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCL.Onnx.Backbones;

/// <summary>The streaming calls: one mel hop, one embedding window, with their own pinned buffers (PcmStreamSource's front end).</summary>
public sealed partial class SpeechBackbone
{
    /// <summary>Left context of a streaming hop in samples (openWakeWord's <c>160 * 3</c>): with it, each hop's mel frames
    /// continue the previous hop's on the same 10 ms grid as a whole-clip run.</summary>
    public const int StreamContextSamples = 3 * MelHopSamples;

    /// <summary>New samples per streaming hop (<see cref="StepFrames"/> × 160 = 1280, 80 ms): one new window per hop.</summary>
    public int StreamHopSamples => StepFrames * MelHopSamples;

    /// <summary>The fixed dither sequence <see cref="EmbedPcm"/> adds to every clip (<see cref="ClipSamples"/> values);
    /// a streaming front end adds it cyclically so its silence matches a padded clip's.</summary>
    public ReadOnlySpan<float> DitherSequence => _dither;

    /// <summary>Streaming front end: the melspectrogram model on one hop with its left context, scaled by x/10 + 2.</summary>
    /// <param name="int16ScaleSamples"><see cref="StreamContextSamples"/> + <see cref="StreamHopSamples"/> samples (1760),
    /// oldest first, already dithered as the caller wants.</param>
    /// <param name="scaledFrames">Receives <see cref="StepFrames"/> × <see cref="MelBins"/> floats (8 frames, row-major).</param>
    /// <remarks>Allocates its buffers on the first call only; later calls allocate nothing.</remarks>
    public void RunMelHop(ReadOnlySpan<float> int16ScaleSamples, Span<float> scaledFrames)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        StreamBuffers b = _stream ??= new StreamBuffers(this);
        if (int16ScaleSamples.Length != b.HopInput.Length)
            throw new ArgumentException($"A streaming hop is {b.HopInput.Length} samples ({StreamContextSamples} context + {StreamHopSamples} new); got {int16ScaleSamples.Length}.", nameof(int16ScaleSamples));
        if (scaledFrames.Length != b.HopFrames.Length)
            throw new ArgumentException($"A streaming hop gives {b.HopFrames.Length} mel values ({StepFrames} frames x {_melBins} bins); the span has {scaledFrames.Length}.", nameof(scaledFrames));
        int16ScaleSamples.CopyTo(b.HopInput);
        _mel.Session.RunWithBinding(_runOptions, b.MelBinding);
        TensorPrimitives.Divide(b.HopFrames, 10f, scaledFrames); // x/10 exactly as EmbedPcm
        TensorPrimitives.Add(scaledFrames, 2f, scaledFrames);
    }

    /// <summary>Streaming back end: the embedding model on one window of scaled mel frames.</summary>
    /// <param name="scaledWindow"><see cref="WindowFrames"/> × <see cref="MelBins"/> floats (76 frames, row-major, x/10 + 2).</param>
    /// <param name="embedding">Receives <see cref="WindowDimension"/> floats: the window's embedding (EmbedPcm pools nine of them).</param>
    /// <remarks>Allocates its buffers on the first streaming call only; later calls allocate nothing.</remarks>
    public void RunWindow(ReadOnlySpan<float> scaledWindow, Span<float> embedding)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        StreamBuffers b = _stream ??= new StreamBuffers(this);
        if (scaledWindow.Length != b.WindowInput.Length)
            throw new ArgumentException($"A window is {b.WindowInput.Length} mel values ({WindowFrames} frames x {_melBins} bins); got {scaledWindow.Length}.", nameof(scaledWindow));
        if (embedding.Length != b.WindowOutput.Length)
            throw new ArgumentException($"The embedding span has {embedding.Length} floats; this backbone writes {b.WindowOutput.Length}.", nameof(embedding));
        scaledWindow.CopyTo(b.WindowInput);
        _emb.Session.RunWithBinding(_runOptions, b.EmbBinding);
        b.WindowOutput.CopyTo(embedding);
    }

    /// <summary>Pinned buffers and bindings of the streaming calls: one hop of mel, one embedding window.</summary>
    private sealed class StreamBuffers : IDisposable
    {
        public readonly float[] HopInput, HopFrames, WindowInput, WindowOutput;
        public readonly OrtIoBinding MelBinding, EmbBinding;
        private readonly OrtValue _hopInput, _hopFrames, _windowInput, _windowOutput;

        public StreamBuffers(SpeechBackbone b)
        {
            int samples = StreamContextSamples + b.StreamHopSamples;
            int frames = MelFrameCount(samples);
            if (frames != b.StepFrames)
                throw new InvalidOperationException($"A {samples}-sample hop gives {frames} mel frames, not stepFrames {b.StepFrames}; streaming needs stepFrames x 160 new samples per window.");
            int dim = b.WindowDimension;
            HopInput = GC.AllocateArray<float>(samples, pinned: true);
            HopFrames = GC.AllocateArray<float>(frames * b._melBins, pinned: true);
            WindowInput = GC.AllocateArray<float>(b.WindowFrames * b._melBins, pinned: true);
            WindowOutput = GC.AllocateArray<float>(dim, pinned: true);
            var cpu = OrtMemoryInfo.DefaultInstance;
            _hopInput = OrtValue.CreateTensorValueFromMemory(cpu, HopInput.AsMemory(), [1, samples]);
            _hopFrames = OrtValue.CreateTensorValueFromMemory(cpu, HopFrames.AsMemory(), [1, 1, frames, b._melBins]);
            _windowInput = OrtValue.CreateTensorValueFromMemory(cpu, WindowInput.AsMemory(), [1, b.WindowFrames, b._melBins, 1]);
            _windowOutput = OrtValue.CreateTensorValueFromMemory(cpu, WindowOutput.AsMemory(), [1, 1, 1, dim]);
            MelBinding = b._mel.Session.CreateIoBinding();
            MelBinding.BindInput(b._mel.Session.InputNames[0], _hopInput);
            MelBinding.BindOutput(b._mel.Session.OutputNames[0], _hopFrames);
            EmbBinding = b._emb.Session.CreateIoBinding();
            EmbBinding.BindInput(b.InputName, _windowInput);
            EmbBinding.BindOutput(b.OutputName, _windowOutput);
        }

        public void Dispose()
        {
            MelBinding.Dispose();
            EmbBinding.Dispose();
            _hopInput.Dispose();
            _hopFrames.Dispose();
            _windowInput.Dispose();
            _windowOutput.Dispose();
        }
    }
}
