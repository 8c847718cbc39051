using EdgeCL.Device.Audio;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Sessions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeCL.Benchmarks;

/// <summary>The live-audio path: per 80 ms hop only the VAD runs; the backbone runs once per candidate word
/// (<see cref="SpeechBackbone.EmbedPcm"/> on the 1.5 s clip cut around it). Against raw ONNX Runtime runs, and against what
/// the always-on streaming front end it replaced cost per hop (one mel run and one window run), measured here as raw runs.</summary>
internal static class StreamingBenchmarks
{
    public static void Run()
    {
        string? root = BackboneCatalog.FindModelsRoot();
        string dir = root is null ? "" : Path.Combine(root, "speech");
        if (root is null || !File.Exists(Path.Combine(dir, "embedding_model.onnx")) || !File.Exists(Path.Combine(dir, "silero_vad.onnx")))
        {
            Console.WriteLine("== streaming: models/speech missing; run models/speech/fetch.sh (skipped)");
            return;
        }
        var spec = SessionOptionsSpec.Default; // 1 intra-op thread, no spinning: the device setting
        using var speech = SpeechBackbone.FromManifestFile(Path.Combine(dir, "backbone.json"), spec);
        using var vad = new SileroVad(Path.Combine(dir, "silero_vad.onnx"), spec);
        var rng = new Random(3);
        float[] hop = new float[vad.ChunkSamples];
        for (int i = 0; i < hop.Length; i++) hop[i] = (float)(3000 * Math.Sin(i * 0.05) + rng.Next(-200, 200));
        float[] clip = new float[speech.ClipSamples];
        for (int i = 0; i < clip.Length; i++) clip[i] = (float)(3000 * Math.Sin(i * 0.05) * Math.Sin(i * 0.0002) + rng.Next(-200, 200));
        float[] embedding = new float[speech.Space.Dimension];

        const int melHopInput = 1280 + 480; // the replaced front end's mel input per hop: 80 ms plus 30 ms of context
        using var raw = new RawRuns(dir, spec, melHopInput, vad.ChunkSamples);
        Console.WriteLine($"== live audio, per 80 ms hop ({vad.ChunkSamples} samples), 1 intra-op thread");
        var chunk = Harness.Compare("SileroVad.Process (1280 samples)", () => vad.Process(hop),
            "raw ORT Session.Run: Silero v4 [1,1280] + h, c", raw.Vad);
        Harness.Report(chunk, "throughput ratio (raw time / EdgeCL time)", "goal >= 0.95", baselineOverCandidate: true);
        var word = Harness.Compare("per candidate word: EmbedPcm (1.5 s clip)", () => speech.EmbedPcm(clip, embedding),
            "before, per hop: raw ORT mel [1,1760] + emb [1,76,32,1]", raw.MelAndWindow);
        Harness.Report(word, "one word's embedding / one hop of the always-on front end", "the price of a word in hops");
        double vadMs = chunk.Candidate.MedianNanoseconds / 1e6, frontMs = word.Baseline.MedianNanoseconds / 1e6, wordMs = word.Candidate.MedianNanoseconds / 1e6;
        Console.WriteLine($"  => listening: {vadMs:F3} ms per hop = {vadMs / 80:P2} of one core, plus {wordMs:F2} ms per candidate word; " +
            $"the always-on front end cost {vadMs + frontMs:F3} ms per hop = {(vadMs + frontMs) / 80:P2} ({(vadMs + frontMs) / vadMs:F1}x); " +
            $"{chunk.Candidate.AllocatedBytesPerOp + word.Candidate.AllocatedBytesPerOp:F0} B allocated per hop and word");
        Console.WriteLine();
    }

    /// <summary>The three models driven through plain <see cref="InferenceSession.Run(RunOptions, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue})"/>, values made once.</summary>
    private sealed class RawRuns : IDisposable
    {
        private readonly OnnxSession _mel, _emb, _vad;
        private readonly OrtValue[] _melIn, _melOut, _embIn, _embOut, _vadIn, _vadOut;
        private readonly string[] _melInNames = ["input"], _melOutNames = ["output"], _embInNames = ["input_1"], _embOutNames = ["conv2d_19"];
        private readonly string[] _vadInNames = ["input", "sr", "h", "c"], _vadOutNames = ["output", "hn", "cn"];
        private readonly RunOptions _run = new();

        public RawRuns(string dir, SessionOptionsSpec spec, int hopInput, int vadChunk)
        {
            _mel = OnnxSessionFactory.Create(Path.Combine(dir, "melspectrogram.onnx"), spec, _ => { });
            _emb = OnnxSessionFactory.Create(Path.Combine(dir, "embedding_model.onnx"), spec);
            _vad = OnnxSessionFactory.Create(Path.Combine(dir, "silero_vad.onnx"), spec, _ => { });
            _melIn = [Make([1, hopInput])];
            _melOut = [Make([1, 1, SpeechBackbone.MelFrameCount(hopInput), 32])];
            _embIn = [Make([1, 76, 32, 1])];
            _embOut = [Make([1, 1, 1, 96])];
            var sr = OrtValue.CreateTensorValueFromMemory(new long[] { 16000 }, []);
            _vadIn = [Make([1, vadChunk]), sr, Make([2, 1, 64]), Make([2, 1, 64])];
            _vadOut = [Make([1, 1]), Make([2, 1, 64]), Make([2, 1, 64])];
        }

        private static OrtValue Make(long[] shape)
        {
            var v = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, shape);
            Span<float> s = v.GetTensorMutableDataAsSpan<float>();
            for (int i = 0; i < s.Length; i++) s[i] = (i % 97) * 0.01f;
            return v;
        }

        public void MelAndWindow()
        {
            _mel.Session.Run(_run, _melInNames, _melIn, _melOutNames, _melOut);
            _emb.Session.Run(_run, _embInNames, _embIn, _embOutNames, _embOut);
        }

        public void Vad() => _vad.Session.Run(_run, _vadInNames, _vadIn, _vadOutNames, _vadOut);

        public void Dispose()
        {
            foreach (OrtValue v in _melIn.Concat(_melOut).Concat(_embIn).Concat(_embOut).Concat(_vadIn).Concat(_vadOut))
                v.Dispose();
            _run.Dispose();
            _mel.Dispose();
            _emb.Dispose();
            _vad.Dispose();
        }
    }
}
