using System.CommandLine;
using System.Diagnostics;
using EdgeCL.Cli.Data;
using EdgeCL.Cli.Output;
using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Learning;
using EdgeCL.Core.Memory;
using EdgeCL.Eval;
using EdgeCL.Eval.Shifts;
using EdgeCL.Onnx.Audio;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;

namespace EdgeCL.Cli.Commands;

/// <summary>
/// <c>edgecl demo</c>: teach a dozen spoken keywords from a few examples with the real speech backbone, then
/// recognise them in voices it never heard; prints accuracy and latency.
/// </summary>
internal static class DemoCommand
{
    /// <summary>Support draws averaged for the headline figure (feasibility.md §4 uses 20).</summary>
    private const int Draws = 20;

    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Keyword set with support/ and test/ folders (default: $EDGECL_DATA/keywords, made by ops/setup.sh)." };
        var shots = new Option<int>("--shots") { Description = "Examples taught per keyword.", DefaultValueFactory = _ => 5 };
        var seed = new Option<int>("--seed") { Description = "Seed of the support draw.", DefaultValueFactory = _ => 1 };
        var noise = new Option<string>("--noise") { Description = "Acoustic shift applied to the test voices for the robustness part (see edgecl eval --list).", DefaultValueFactory = _ => "white:10" };
        var backbone = CommonOptions.Backbone(required: false);
        backbone.DefaultValueFactory = _ => "speech";
        var models = CommonOptions.Models();
        var providers = CommonOptions.Providers();
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var command = new Command("demo", "Few-shot keyword learning on unseen voices with the real speech backbone.")
            { data, shots, seed, noise, backbone, models, providers, threads, json };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(token =>
        {
            int k = parse.GetValue(shots);
            if (k < 1)
                throw new ArgumentException($"--shots must be >= 1, got {k}.");
            IReadOnlyList<ShiftSpec> noiseShift = ShiftCatalog.ParseList(parse.GetValue(noise)!, 3);
            if (noiseShift.Count != 1 || noiseShift[0].Kind != ShiftKind.Audio)
                throw new ArgumentException($"--noise '{parse.GetValue(noise)}' must be one audio shift such as white:10, pink:0, babble:5 or reverb.");
            string root = parse.GetValue(data) ?? Path.Combine(DataRoot(), "keywords");
            string supportDir = Path.Combine(root, "support"), testDir = Path.Combine(root, "test");
            if (!Directory.Exists(supportDir) || !Directory.Exists(testDir))
                throw new InputFormatException($"Keyword set not found at '{root}' (needs support/ and test/); run ops/setup.sh, which generates it with espeak-ng and sox.");
            bool quiet = parse.GetValue(json);
            void Say(string line) { if (!quiet) Console.WriteLine(line); }

            using IEmbeddingBackbone b = BackboneCatalog.Open(parse.GetValue(backbone)!, CommonOptions.Sessions(parse, providers, threads), CommonOptions.ProviderLog, parse.GetValue(models));
            IReadOnlyList<LabelledFile> support = LabelledFolder.Scan(supportDir, b.FileExtensions, requireClasses: true);
            IReadOnlyList<LabelledFile> test = LabelledFolder.Scan(testDir, b.FileExtensions, requireClasses: true);
            string[] classes = support.Select(f => f.Label!).Distinct().Order(StringComparer.Ordinal).ToArray();
            Say($"EdgeCL demo: {classes.Length} keywords ({string.Join(" ", classes)})");
            Say($"  backbone {b.Name} ({b.Space.Dimension}-d, space {b.Space.Id}) on {b.ActiveProvider}");
            Say($"  support voices: {support.Count} clips; unseen test voices: {test.Count} clips");

            var embedMs = new List<double>();
            float[] supportEmbeddings = Embedder.EmbedAll(b, support, token, embedMs, phase: "embedding support clips");
            float[] testEmbeddings = Embedder.EmbedAll(b, test, token, embedMs, phase: "embedding test clips");
            int d = b.Space.Dimension;

            // One draw, shown in full, with learner latencies.
            var updateMs = new List<double>();
            var predictMs = new List<double>();
            PrototypeMemory memory = Teach(b, support, supportEmbeddings, k, parse.GetValue(seed), updateMs);
            var perClass = classes.ToDictionary(c => c, _ => (Correct: 0, Total: 0), StringComparer.Ordinal);
            var clock = new Stopwatch();
            int correct = 0;
            for (int i = 0; i < test.Count; i++)
            {
                clock.Restart();
                Prediction p = memory.Predict(testEmbeddings.AsSpan(i * d, d));
                predictMs.Add(clock.Elapsed.TotalMilliseconds);
                var (c, t) = perClass[test[i].Label!];
                bool ok = p.Label == test[i].Label;
                perClass[test[i].Label!] = (c + (ok ? 1 : 0), t + 1);
                if (ok) correct++;
            }
            double accuracy = (double)correct / test.Count;

            double[] drawAccuracies = Enumerable.Range(0, Draws).Select(s => Evaluate(b, support, supportEmbeddings, test, testEmbeddings, k, 1000 + s)).ToArray();
            double[] oneShot = Enumerable.Range(0, Draws).Select(s => Evaluate(b, support, supportEmbeddings, test, testEmbeddings, 1, 1000 + s)).ToArray();
            double mean = drawAccuracies.Average();
            double std = Math.Sqrt(drawAccuracies.Select(a => (a - mean) * (a - mean)).Average());

            // Robustness: the same voices under an acoustic shift, and (when an adaptation learner is registered) recovery.
            float[] noisyEmbeddings = EmbedShifted(b, test, noiseShift[0], parse.GetValue(seed), token);
            double noisyAccuracy = Accuracy(memory, test, noisyEmbeddings, d);
            LearnerDescriptor? adaptive = LearnerRegistry.CreateDefault().Learners.FirstOrDefault(l => l.Adapts);
            double? adaptedAccuracy = adaptive is null ? null
                : Adapted(adaptive, b, support, supportEmbeddings, test, noisyEmbeddings, k, parse.GetValue(seed));

            var result = new DemoResult(b.Name, b.Space.Id, b.ActiveProvider.ToString(), k, parse.GetValue(seed), classes.Length, support.Count, test.Count,
                accuracy, perClass.Select(kv => new ClassAccuracy(kv.Key, kv.Value.Correct, kv.Value.Total)).ToList(),
                Draws, mean, std, oneShot.Average(), Summarize(embedMs), Summarize(predictMs), Summarize(updateMs),
                noiseShift[0].DomainName, noisyAccuracy, adaptive?.Name, adaptedAccuracy);
            if (quiet)
            {
                CommandRunner.WriteJson(result, CliJsonContext.Default.DemoResult);
                return Task.FromResult(ExitCodes.Success);
            }
            Say($"\nTaught {k} example(s) per keyword (seed {result.Seed}); recognising {test.Count} clips of voices never heard:");
            foreach (ClassAccuracy c in result.PerClass)
                Say($"  {c.Label,-8} {c.Correct,3}/{c.Total,-3} {new string('#', (int)Math.Round(20.0 * c.Correct / Math.Max(1, c.Total)))}");
            Say($"\naccuracy            {accuracy:P1}  (chance {1.0 / classes.Length:P1})");
            Say($"over {Draws} draws       {mean:P1} ± {std:P1} at {k} shot(s); {result.OneShotMeanAccuracy:P1} at 1 shot");
            Say($"latency per clip    embed {result.Embed.MedianMs:F2} ms (p95 {result.Embed.P95Ms:F2}); learner predict {result.LearnerPredict.MedianMs * 1000:F1} µs, update {result.LearnerUpdate.MedianMs * 1000:F1} µs (median)");
            Say($"\nThe same voices under {NoiseDescription(noiseShift[0])}:");
            Say($"accuracy            {noisyAccuracy:P1}  ({100 * (noisyAccuracy - accuracy):+0.0;-0.0} points)");
            Say(adaptive is null || adaptedAccuracy is null
                ? "with adaptation     no test-time adaptation learner is registered yet; 'edgecl eval --methods ...' compares them once they land"
                : $"with adaptation     {adaptedAccuracy:P1}  ({adaptive.Name}, online, labels withheld; {100 * (adaptedAccuracy.Value - noisyAccuracy):+0.0;-0.0} points)");
            Say($"\nFull comparison: edgecl eval -b {b.Name} --data {supportDir} --test {testDir} --shifts clean,{noiseShift[0].DomainName}");
            return Task.FromResult(ExitCodes.Success);
        }, ct));
        return command;
    }

    /// <summary>$EDGECL_DATA, else ~/.cache/edgecl/data (where ops/setup.sh writes the dev data).</summary>
    internal static string DataRoot() =>
        Environment.GetEnvironmentVariable("EDGECL_DATA") is { Length: > 0 } env ? env
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "edgecl", "data");

    private static PrototypeMemory Teach(IEmbeddingBackbone b, IReadOnlyList<LabelledFile> support, float[] embeddings, int shots, int seed, List<double>? updateMs)
    {
        int d = b.Space.Dimension;
        var index = support.Select((f, i) => (f, i)).ToDictionary(t => t.f.Path, t => t.i, StringComparer.Ordinal);
        var memory = new PrototypeMemory(b.Space);
        var clock = new Stopwatch();
        foreach (LabelledFile f in LearnCommand.Sample(support, shots, seed))
        {
            clock.Restart();
            memory.Add(f.Label!, embeddings.AsSpan(index[f.Path] * d, d));
            updateMs?.Add(clock.Elapsed.TotalMilliseconds);
        }
        return memory;
    }

    private static double Evaluate(IEmbeddingBackbone b, IReadOnlyList<LabelledFile> support, float[] supportEmbeddings,
        IReadOnlyList<LabelledFile> test, float[] testEmbeddings, int shots, int seed)
    {
        PrototypeMemory memory = Teach(b, support, supportEmbeddings, shots, seed, null);
        int d = b.Space.Dimension, correct = 0;
        for (int i = 0; i < test.Count; i++)
            if (memory.Predict(testEmbeddings.AsSpan(i * d, d)).Label == test[i].Label)
                correct++;
        return (double)correct / test.Count;
    }

    private static float[] EmbedShifted(IEmbeddingBackbone b, IReadOnlyList<LabelledFile> files, ShiftSpec shift, int seed, CancellationToken token)
    {
        if (b is not SpeechBackbone speech)
            throw new ArgumentException($"The demo's noise part needs the speech backbone; '{b.Name}' is not one.");
        int d = b.Space.Dimension;
        var result = new float[files.Count * d];
        var babble = new BabblePool(files, speech.SampleRate);
        ProgressBar? bar = ProgressBar.ForTerminal();
        for (int i = 0; i < files.Count; i++)
        {
            bar?.Report(new EvalProgress($"embedding test clips + {shift.DomainName}", i + 1, files.Count));
            token.ThrowIfCancellationRequested();
            float[] pcm = WavReader.ReadMono(files[i].Path, speech.SampleRate);
            var context = new AudioShiftContext(speech.SampleRate, speech.ClipSamples,
                DeterministicRandom.Derive(seed, "demo:" + shift.DomainName, i), seed, babble, i);
            speech.EmbedPcm(AudioShifts.Apply(shift, pcm, context), result.AsSpan(i * d, d));
        }
        bar?.Finish();
        return result;
    }

    private static double Accuracy(PrototypeMemory memory, IReadOnlyList<LabelledFile> test, float[] embeddings, int d)
    {
        int correct = 0;
        for (int i = 0; i < test.Count; i++)
            if (memory.Predict(embeddings.AsSpan(i * d, d)).Label == test[i].Label)
                correct++;
        return (double)correct / test.Count;
    }

    private static double Adapted(LearnerDescriptor adaptive, IEmbeddingBackbone b, IReadOnlyList<LabelledFile> support, float[] supportEmbeddings,
        IReadOnlyList<LabelledFile> test, float[] testEmbeddings, int shots, int seed)
    {
        int d = b.Space.Dimension;
        IStreamLearner learner = adaptive.Factory(b.Space, LearnerOptions.Default);
        var index = support.Select((f, i) => (f, i)).ToDictionary(t => t.f.Path, t => t.i, StringComparer.Ordinal);
        foreach (LabelledFile f in LearnCommand.Sample(support, shots, seed))
            learner.Learn(f.Label!, supportEmbeddings.AsSpan(index[f.Path] * d, d));
        // The online protocol: unlabelled clips in random order, each prediction counted before the learner adapts.
        var order = Enumerable.Range(0, test.Count).ToList();
        new DeterministicRandom(DeterministicRandom.Derive(seed, "demo-order")).Shuffle(order);
        int correct = 0;
        foreach (int i in order)
            if (learner.Observe(testEmbeddings.AsSpan(i * d, d)).Label == test[i].Label)
                correct++;
        return (double)correct / test.Count;
    }

    private static string NoiseDescription(ShiftSpec shift) => shift.Name switch
    {
        "white" or "pink" or "brown" => $"{shift.Name} noise at {shift.Value:0.#} dB SNR",
        "babble" => $"babble at {shift.Value:0.#} dB SNR",
        _ => shift.DomainName,
    };

    /// <summary>Test clips as babble talkers for the demo's babble shift.</summary>
    private sealed class BabblePool(IReadOnlyList<LabelledFile> files, int sampleRate) : IBabbleSource
    {
        public int Count => files.Count;

        public float[] Clip(int index) => WavReader.ReadMono(files[index].Path, sampleRate);
    }

    private static Latency Summarize(List<double> ms)
    {
        if (ms.Count == 0) return new Latency(0, 0);
        double[] sorted = ms.Order().ToArray();
        return new Latency(sorted[sorted.Length / 2], sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(0.95 * sorted.Length) - 1)]);
    }
}
