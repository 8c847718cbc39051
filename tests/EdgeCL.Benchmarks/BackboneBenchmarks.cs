using EdgeCL.Core.Memory;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Sessions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeCL.Benchmarks;

/// <summary>The real backbones under models/ against raw ONNX Runtime runs with the same thread settings.</summary>
internal static class BackboneBenchmarks
{
    public static void Run()
    {
        string? root = BackboneCatalog.FindModelsRoot();
        if (root is null)
        {
            Console.WriteLine("== backbones: no models/ folder found; run ops/setup.sh first (skipped)");
            return;
        }
        Speech(root);
        Digits(root);
    }

    private static void Speech(string root)
    {
        string manifestPath = Path.Combine(root, "speech", "backbone.json");
        if (!File.Exists(Path.Combine(root, "speech", "embedding_model.onnx")))
        {
            Console.WriteLine("== speech backbone: models missing; run models/speech/fetch.sh (skipped)");
            return;
        }
        var spec = SessionOptionsSpec.Default; // 1 intra-op thread, no spinning: the device setting
        using var speech = SpeechBackbone.FromManifestFile(manifestPath, spec);
        var rng = new Random(1);
        float[] clip = new float[speech.ClipSamples];
        for (int i = 0; i < clip.Length; i++) clip[i] = (float)(3000 * Math.Sin(i * 0.05) + rng.Next(-200, 200));
        float[] embedding = new float[speech.Space.Dimension];

        // Raw baseline: the same two models, pre-bound inputs/outputs, no front end at all.
        using var raw = new RawSpeech(Path.Combine(root, "speech"), speech.ClipSamples, speech.MelFrames, speech.Windows, spec);
        Console.WriteLine($"== speech backbone (1.5 s clip = mel + {speech.Windows} embedding windows), 1 intra-op thread");
        var pipeline = Harness.Compare("SpeechBackbone.EmbedPcm (front end + 2 runs)", () => speech.EmbedPcm(clip, embedding),
            "raw ORT: mel Run + embedding Run, inputs pre-made", raw.RunBoth);
        Harness.Report(pipeline, "throughput ratio (raw time / EdgeCL time)", "goal >= 0.97", baselineOverCandidate: true);

        Console.WriteLine("== learner cost as a share of one backbone run (100 classes)");
        foreach (int d in new[] { 96, 512 })
        {
            var (memory, _, queries) = PrototypeBenchmarks.Build(d);
            int q = 0;
            var share = Harness.Compare($"PrototypeMemory predict+update d={d}", () =>
                {
                    float[] x = queries[q++ & 63];
                    Prediction p = memory.Predict(x);
                    memory.Add(p.Label, x);
                }, "one speech embedding-model Run (1 window)", raw.RunOneWindow);
            Harness.Report(share, "learner / backbone", "goal <= 0.01");
        }
    }

    private static void Digits(string root)
    {
        string manifestPath = Path.Combine(root, "digits", "backbone.json");
        if (!File.Exists(manifestPath))
        {
            Console.WriteLine("== digits backbone: models/digits/backbone.json missing (skipped)");
            return;
        }
        var spec = SessionOptionsSpec.Default;
        using var digits = (ImageBackbone)BackboneCatalog.Open(manifestPath, spec, maxBatch: 32);
        OnnxEmbeddingModel model = digits.Model;
        int batch = model.MaxBatch;
        var rng = new Random(2);
        for (int i = 0; i < batch; i++)
        {
            Span<float> slot = model.InputSlot(i);
            for (int j = 0; j < slot.Length; j++) slot[j] = (float)rng.NextDouble();
        }
        byte[] bytes = File.ReadAllBytes(Path.Combine(root, "digits", "digits-cnn.onnx"));
        using var session = OnnxSessionFactory.Create(bytes, "digits", spec);
        long[] inShape = [batch, .. model.SampleShape];
        using var input = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, inShape);
        using var output = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, [batch, model.Dimension]);
        using var binding = session.Session.CreateIoBinding();
        binding.BindInput(model.InputName, input);
        binding.BindOutput(model.OutputName, output);
        using var runOptions = new RunOptions();
        Console.WriteLine($"== digits backbone, batch {batch}, 1 intra-op thread");
        Harness.Report(Harness.Compare($"OnnxEmbeddingModel.Run({batch})", () => model.Run(batch),
            "raw ORT RunWithBinding, same batch", () => session.Session.RunWithBinding(runOptions, binding)),
            "throughput ratio (raw time / EdgeCL time)", "goal >= 0.97", baselineOverCandidate: true);
    }

    /// <summary>The two openWakeWord models driven directly through ONNX Runtime, inputs made once.</summary>
    private sealed class RawSpeech : IDisposable
    {
        private readonly OnnxSession _mel, _emb;
        private readonly OrtValue _melIn, _melOut, _embIn, _embOut, _oneIn, _oneOut;
        private readonly OrtIoBinding _melBinding, _embBinding, _oneBinding;
        private readonly RunOptions _run = new();

        public RawSpeech(string dir, int samples, int frames, int windows, SessionOptionsSpec spec)
        {
            _mel = OnnxSessionFactory.Create(Path.Combine(dir, "melspectrogram.onnx"), spec, _ => { });
            _emb = OnnxSessionFactory.Create(Path.Combine(dir, "embedding_model.onnx"), spec);
            OrtValue Make(long[] shape)
            {
                var v = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, shape);
                Span<float> s = v.GetTensorMutableDataAsSpan<float>();
                for (int i = 0; i < s.Length; i++) s[i] = (i % 97) * 0.5f;
                return v;
            }
            _melIn = Make([1, samples]);
            _melOut = Make([1, 1, frames, 32]);
            _embIn = Make([windows, 76, 32, 1]);
            _embOut = Make([windows, 1, 1, 96]);
            _oneIn = Make([1, 76, 32, 1]);
            _oneOut = Make([1, 1, 1, 96]);
            _melBinding = Bind(_mel, "input", _melIn, "output", _melOut);
            _embBinding = Bind(_emb, "input_1", _embIn, "conv2d_19", _embOut);
            _oneBinding = Bind(_emb, "input_1", _oneIn, "conv2d_19", _oneOut);
        }

        private static OrtIoBinding Bind(OnnxSession s, string inName, OrtValue input, string outName, OrtValue output)
        {
            OrtIoBinding b = s.Session.CreateIoBinding();
            b.BindInput(inName, input);
            b.BindOutput(outName, output);
            return b;
        }

        public void RunBoth()
        {
            _mel.Session.RunWithBinding(_run, _melBinding);
            _emb.Session.RunWithBinding(_run, _embBinding);
        }

        public void RunOneWindow() => _emb.Session.RunWithBinding(_run, _oneBinding);

        public void Dispose()
        {
            foreach (IDisposable d in new IDisposable[] { _melBinding, _embBinding, _oneBinding, _melIn, _melOut, _embIn, _embOut, _oneIn, _oneOut, _run, _mel, _emb })
                d.Dispose();
        }
    }
}
