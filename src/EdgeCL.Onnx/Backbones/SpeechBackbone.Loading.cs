using System.Globalization;
using EdgeCL.Core.Vectors;
using EdgeCL.Onnx.Audio;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Sessions;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCL.Onnx.Backbones;

/// <summary>Loading: the manifest's checks, the sessions and their self-tests, the canonical preprocessing string and the dither.</summary>
public sealed partial class SpeechBackbone
{
    private static SpeechPreprocessing ValidateManifest(BackboneManifest manifest)
    {
        string n = manifest.Name;
        if (manifest.Kind != ManifestKind)
            throw new ModelLoadException($"Manifest '{n}' has kind '{manifest.Kind}'; SpeechBackbone needs kind '{ManifestKind}'.");
        SpeechPreprocessing speech = manifest.Speech
            ?? throw new ModelLoadException($"Manifest '{n}' has no 'speech' section; add melModel, sampleRate, clipSeconds, ditherLsb, windowFrames, stepFrames.");
        if (speech.SampleRate is < WavReader.MinSampleRate or > WavReader.MaxSampleRate)
            throw new ModelLoadException($"Manifest '{n}': sampleRate {speech.SampleRate} is out of range {WavReader.MinSampleRate}..{WavReader.MaxSampleRate}.");
        if (!(speech.ClipSeconds > 0f && speech.ClipSeconds <= 60f) || speech.ClipSeconds * speech.SampleRate < MelWindowSamples)
            throw new ModelLoadException(string.Create(CultureInfo.InvariantCulture, $"Manifest '{n}': clipSeconds {speech.ClipSeconds} is out of range (about 0.8 to 60)."));
        if (!(speech.DitherLsb >= 0f && speech.DitherLsb <= 1000f))
            throw new ModelLoadException(string.Create(CultureInfo.InvariantCulture, $"Manifest '{n}': ditherLsb {speech.DitherLsb} is out of range 0..1000."));
        if (string.IsNullOrEmpty(speech.Placement))
            speech = speech with { Placement = SpeechPreprocessing.PlacementClip }; // absent: the reference behaviour
        if (speech.Placement is not (SpeechPreprocessing.PlacementClip or SpeechPreprocessing.PlacementSpeech))
            throw new ModelLoadException($"Manifest '{n}': placement '{speech.Placement}' is not known; use \"{SpeechPreprocessing.PlacementSpeech}\" (centre the sound) or \"{SpeechPreprocessing.PlacementClip}\" (centre the file).");
        if (speech.WindowFrames <= 0 || speech.StepFrames <= 0)
            throw new ModelLoadException($"Manifest '{n}': windowFrames ({speech.WindowFrames}) and stepFrames ({speech.StepFrames}) must be positive.");
        if (manifest.EmbeddingDimension is <= 0 or > EmbeddingSpace.MaxDimension)
            throw new ModelLoadException($"Manifest '{n}': embeddingDimension {manifest.EmbeddingDimension} is out of range 1..{EmbeddingSpace.MaxDimension}.");
        if (speech.PoolSegments == 0)
            speech = speech with { PoolSegments = 1 }; // absent (the source-generated reader leaves init-only defaults at 0): one mean
        if (speech.PoolSegments < 1 || manifest.EmbeddingDimension % speech.PoolSegments != 0)
            throw new ModelLoadException($"Manifest '{n}': poolSegments {speech.PoolSegments} must be at least 1 and divide embeddingDimension {manifest.EmbeddingDimension} (S segments x the model's per-window size).");
        return speech;
    }

    /// <summary>Reads a model file listed in the manifest and checks its SHA-256.</summary>
    private static OnnxSession CreateSession(byte[] bytes, string directory, string file, SessionOptionsSpec options, Action<InferenceSession>? selfTest, ILogger logger)
    {
        string path = Path.Combine(directory, file);
        try
        {
            return OnnxSessionFactory.Create(bytes, path, options, selfTest, logger);
        }
        catch (OnnxRuntimeException ex)
        {
            // The factory lets a self-test failure escape only on the CPU provider, the last resort: the model itself
            // cannot run the speech pipeline's input (e.g. the mel and embedding files are swapped in the manifest).
            string first = ex.Message.Split('\n', 2)[0].TrimEnd('\r');
            throw new ModelLoadException($"Model file '{path}' cannot run its self-test ({first}); check that the manifest names the right file and that it is the openWakeWord model it expects.", ex);
        }
    }

    private static void RunMelSelfTest(InferenceSession session, int samples)
    {
        // A full-length clip of zeros: the provider must be able to run the real input size.
        using var input = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, [1, samples]);
        input.GetTensorMutableDataAsSpan<float>().Clear();
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [session.InputNames[0]], [input], session.OutputNames);
    }

    /// <summary>Checks the mel model's I/O against the pipeline; returns the number of mel bins.</summary>
    private static int CheckMelModel(InferenceSession session, string file, int samples, int expectedFrames)
    {
        if (session.InputNames.Count != 1 || session.OutputNames.Count < 1)
            throw new ModelLoadException($"Mel model '{file}' has {session.InputNames.Count} inputs and {session.OutputNames.Count} outputs; expected one [batch, samples] input (is it melspectrogram.onnx?).");
        // Run once to learn the true output shape (T and bins are dynamic in the metadata).
        using var input = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, [1, samples]);
        input.GetTensorMutableDataAsSpan<float>().Clear();
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [session.InputNames[0]], [input], [session.OutputNames[0]]);
        long[] shape = outputs[0].GetTensorTypeAndShape().Shape;
        if (shape.Length != 4 || shape[0] != 1 || shape[1] != 1 || shape[2] != expectedFrames || shape[3] is <= 0 or > 1024)
            throw new ModelLoadException(
                $"Mel model '{file}' gives shape [{string.Join(", ", shape)}] for {samples} samples; expected [1, 1, {expectedFrames}, bins] (n_fft 512, hop 160): is it openWakeWord's melspectrogram.onnx?");
        return (int)shape[3];
    }

    /// <summary>Checks the embedding model's I/O: [N, window, bins, 1] → [N, 1, 1, D] (or any shape with D values per row).</summary>
    private static (string Input, string Output) CheckEmbeddingModel(InferenceSession session, BackboneManifest manifest, int windowFrames, int bins, int windowDimension)
    {
        string file = manifest.Model;
        string input = manifest.Input ?? (session.InputNames.Count == 1 ? session.InputNames[0]
            : throw new ModelLoadException($"Embedding model '{file}' has {session.InputNames.Count} inputs; name one in the manifest's 'input'."));
        string output = manifest.Output ?? session.OutputNames[0];
        if (!session.InputMetadata.TryGetValue(input, out NodeMetadata? inMeta))
            throw new ModelLoadException($"Embedding model '{file}' has no input '{input}' (inputs: {string.Join(", ", session.InputNames)}); fix the manifest's 'input'.");
        if (!session.OutputMetadata.TryGetValue(output, out NodeMetadata? outMeta))
            throw new ModelLoadException($"Embedding model '{file}' has no output '{output}' (outputs: {string.Join(", ", session.OutputNames)}); fix the manifest's 'output'.");
        int[] inDims = inMeta.Dimensions;
        if (inDims.Length != 4 || !Fits(inDims[1], windowFrames) || !Fits(inDims[2], bins) || !Fits(inDims[3], 1))
            throw new ModelLoadException(
                $"Embedding model '{file}' input '{input}' has shape [{string.Join(", ", inDims)}]; the speech front end feeds [N, {windowFrames}, {bins}, 1].");
        int[] outDims = outMeta.Dimensions;
        long perRow = 1;
        for (int i = 1; i < outDims.Length; i++)
            perRow *= outDims[i];
        if (outDims.Length < 2 || perRow != windowDimension || outDims[^1] != windowDimension)
            throw new ModelLoadException(
                $"Embedding model '{file}' output '{output}' has shape [{string.Join(", ", outDims)}], not an embedding of {windowDimension} values per row; " +
                "check the manifest's 'output', 'embeddingDimension' and 'poolSegments'.");
        return (input, output);

        static bool Fits(int dim, int want) => dim <= 0 || dim == want;
    }

    private static string CanonicalPreprocessing(SpeechPreprocessing s, int bins, string input, string output) =>
        string.Create(CultureInfo.InvariantCulture,
            $"speech-openwakeword/v1;pcm=int16scale;sr={s.SampleRate};resample={Resampler.Description};clip={s.ClipSeconds:R}s:{(s.Placement == SpeechPreprocessing.PlacementSpeech ? SpeechPlacement.Description + "-" : "centre-")}pad-crop;" +
            $"dither=gauss(splitmix64,seed={DitherSeed:x},sigma={s.DitherLsb:R});mel=x/10+2,bins={bins};" +
            $"window={s.WindowFrames},step={s.StepFrames};io={input}->{output};pool={(s.PoolSegments == 1 ? "mean" : $"segments:{s.PoolSegments}")}");

    /// <summary>Fills <paramref name="dither"/> with N(0, σ²) from SplitMix64 + Box–Muller (portable and exact across runtimes).</summary>
    private static void FillDither(Span<float> dither, float sigma)
    {
        ulong state = DitherSeed;
        for (int i = 0; i < dither.Length; i += 2)
        {
            // Uniforms in (0, 1]: 53 random bits, +1 so that Log never sees 0.
            double u1 = ((SplitMix64(ref state) >> 11) + 1) * (1.0 / (1UL << 53));
            double u2 = ((SplitMix64(ref state) >> 11) + 1) * (1.0 / (1UL << 53));
            double r = Math.Sqrt(-2.0 * Math.Log(u1)) * sigma;
            dither[i] = (float)(r * Math.Cos(2.0 * Math.PI * u2));
            if (i + 1 < dither.Length)
                dither[i + 1] = (float)(r * Math.Sin(2.0 * Math.PI * u2));
        }
    }

    private static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
