using EdgeCL.Core.Learning;
using EdgeCL.Core.Learning.Adaptation;
using EdgeCL.Core.Vectors;
using EdgeCL.Onnx.Adaptation;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Images;
using EdgeCL.Onnx.Sessions;

namespace EdgeCL.Benchmarks;

/// <summary>Cost per unlabelled sample of each test-time adaptation learner as a share of the speech backbone's work for one sample.</summary>
internal static class AdaptationBenchmarks
{
    public static void Run()
    {
        string? root = BackboneCatalog.FindModelsRoot();
        if (root is not null)
            BatchNormStatistics(root);
        if (root is null || !File.Exists(Path.Combine(root, "speech", "embedding_model.onnx")))
        {
            Console.WriteLine("== adaptation: speech models missing; run ops/setup.sh (skipped)");
            return;
        }
        using var speech = SpeechBackbone.FromManifestFile(Path.Combine(root, "speech", "backbone.json"), SessionOptionsSpec.Default);
        var rng = new Random(1);
        float[] clip = new float[speech.ClipSamples];
        for (int i = 0; i < clip.Length; i++) clip[i] = (float)(3000 * Math.Sin(i * 0.05) + rng.Next(-200, 200));
        float[] embedding = new float[speech.Space.Dimension];
        EmbeddingSpace space = speech.Space;
        int d = space.Dimension;
        // 12 classes × 5 shots (the keyword task), a shifted stream of 256 queries.
        var means = new float[12][];
        for (int c = 0; c < 12; c++)
            means[c] = Vector(rng, d, 1f, 0f);
        float[] shift = Vector(rng, d, 0.5f, 2f);
        var queries = new float[256][];
        for (int i = 0; i < queries.Length; i++)
        {
            float[] m = means[i % 12];
            float[] v = Vector(rng, d, 0.4f, 0f);
            for (int j = 0; j < d; j++) v[j] += m[j] + shift[j];
            queries[i] = v;
        }
        Console.WriteLine($"== adaptation learners: one Observe (predict + adapt), 12 classes × 5 shots, d={d}, vs the speech backbone for one 1.5 s clip (mel + {speech.Windows} windows)");
        LearnerRegistry registry = LearnerRegistry.CreateDefault();
        foreach (LearnerDescriptor descriptor in registry.Learners)
        {
            IStreamLearner learner = descriptor.Factory(space, LearnerOptions.Default);
            for (int c = 0; c < 12; c++)
                for (int s = 0; s < 5; s++)
                {
                    float[] x = Vector(rng, d, 0.4f, 0f);
                    for (int j = 0; j < d; j++) x[j] += means[c][j];
                    learner.Learn("k" + c, x);
                }
            for (int i = 0; i < 2000; i++)
                learner.Observe(queries[i & 255]);
            int q = 0;
            var pair = Harness.Compare($"{descriptor.Name}.Observe", () => learner.Observe(queries[q++ & 255]),
                "SpeechBackbone.EmbedPcm (1 clip)", () => speech.EmbedPcm(clip, embedding));
            Harness.Report(pair, "learner / backbone", "goal <= 0.05");
        }

        // The shrunk test centre (the default) against the running mean as it is: one dot product and one multiply-add
        // over d more per change of the centre.
        IStreamLearner[] centred = [.. new[] { "2", "0" }.Select(shrink =>
        {
            IStreamLearner l = registry.Create("ncm-test-centred", space, new LearnerOptions { Parameters = new Dictionary<string, string> { ["ncm-test-centred.shrink"] = shrink } });
            for (int c = 0; c < 12; c++)
                for (int s = 0; s < 5; s++)
                    l.Learn("k" + c, means[c]);
            for (int i = 0; i < 2000; i++)
                l.Observe(queries[i & 255]);
            return l;
        })];
        int qs = 0, qp = 0;
        Harness.Report(Harness.Compare("ncm-test-centred.Observe, shrunk centre", () => centred[0].Observe(queries[qs++ & 255]),
            "ncm-test-centred.Observe, .shrink 0", () => centred[1].Observe(queries[qp++ & 255])), "shrunk / unshrunk", "goal <= 1.2");

        // LAME solves its window only when the stream looks label-correlated (its gate): on the shuffled stream above it
        // is the head. Runs of 20 of one class make it solve every sample, mutual kNN (the default) and LAME's plain graph.
        var runs = new float[240][];
        for (int i = 0; i < runs.Length; i++)
            runs[i] = queries[i / 20 % 12 + 12 * (i % 20)]; // class i/20 mod 12, a different draw each time
        foreach (string mutual in new[] { "1", "0" })
        {
            var options = new LearnerOptions { Parameters = new Dictionary<string, string> { ["lame.mutual"] = mutual } };
            IStreamLearner lame = registry.Create("lame", space, options);
            for (int c = 0; c < 12; c++)
                for (int s = 0; s < 5; s++)
                    lame.Learn("k" + c, means[c]);
            for (int i = 0; i < 2000; i++)
                lame.Observe(runs[i % runs.Length]);
            Console.WriteLine($"  lame, mutual={mutual}: λ after warm-up {((LameLearner)lame).Window.Lambda:F2} (1 = solving every sample)");
            int r = 0;
            var pair = Harness.Compare($"lame.Observe, runs of 20, mutual={mutual}", () => lame.Observe(runs[r++ % runs.Length]),
                "SpeechBackbone.EmbedPcm (1 clip)", () => speech.EmbedPcm(clip, embedding));
            Harness.Report(pair, "learner / backbone", "goal <= 0.05");
        }
    }

    /// <summary>One BN-statistics sample (rewritten graph run, estimates fed in, batch statistics folded in) against the static digits backbone.</summary>
    private static void BatchNormStatistics(string root)
    {
        string manifestPath = Path.Combine(root, "digits", "backbone.json");
        if (!File.Exists(manifestPath))
        {
            Console.WriteLine("== bn-stats: models/digits/backbone.json missing (skipped)");
            return;
        }
        using var digits = (ImageBackbone)BackboneCatalog.Open(manifestPath, SessionOptionsSpec.Default);
        using var adaptive = BatchNormAdaptiveBackbone.FromImageBackbone(digits);
        var rng = new Random(3);
        var pixels = new byte[28 * 28];
        rng.NextBytes(pixels);
        var image = new DecodedImage(28, 28, 1, pixels);
        float[] embedding = new float[digits.Space.Dimension];
        Console.WriteLine("== bn-stats: one unlabelled image (adapted run + statistics update) vs one static run, digits backbone, batch 1");
        var pair = Harness.Compare("BatchNormAdaptiveBackbone.EmbedImage(adapt)", () => adaptive.EmbedImage(image, embedding, adapt: true),
            "ImageBackbone.EmbedImage", () => digits.EmbedImage(image, embedding));
        Harness.Report(pair, "adapted / static", "samples/s = 1000 / ms");
    }

    private static float[] Vector(Random rng, int d, float scale, float offset)
    {
        var v = new float[d];
        for (int i = 0; i < d; i++) v[i] = offset + scale * (float)(rng.NextDouble() * 2 - 1);
        return v;
    }
}
