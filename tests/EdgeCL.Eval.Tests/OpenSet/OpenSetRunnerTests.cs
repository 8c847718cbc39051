using EdgeCL.Core.Learning;
using EdgeCL.Eval.OpenSet;
using EdgeCL.Onnx.Errors;

namespace EdgeCL.Eval.Tests.OpenSet;

/// <summary><c>edgecl eval --unknown</c> on real keyword clips: taught words, untaught words, and a stretch of continuous
/// untaught speech, through the real speech backbone.</summary>
public sealed class OpenSetRunnerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-openset-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Taught: yes, no, up, down (5 shots from the training voices); test: 6 unseen-voice clips each; unknown: 8 clips of
    // each of two other words and one 8 s file of other words back to back (continuous audio).
    private OpenSetSettings Settings(float threshold = 0.4f, string? unknown = null) => new()
    {
        Data = Copy("support", ["yes", "no", "up", "down"], 8),
        Test = Copy("test", ["yes", "no", "up", "down"], 6),
        Unknown = unknown ?? Unknown(),
        Backbone = "speech",
        ModelsRoot = KeywordData.Models,
        Shots = 5,
        Threshold = threshold,
        Corrections = 3,
        OutputDirectory = Path.Combine(_dir, "out"),
    };

    [Fact]
    public void Reports_false_rejects_false_accepts_per_clip_and_per_hour_and_auroc()
    {
        KeywordData.RequireSupport();
        string export = Path.Combine(_dir, "export");
        OpenSetReport report = OpenSetRunner.Run(Settings() with { ExportDirectory = export }, LearnerRegistry.CreateDefault());
        OpenSetFigures f = Assert.Single(report.Methods).Overall;
        // The export holds exactly the vectors the learners saw: 4 × 5 shots, then one row per stream sample.
        string[] stream = File.ReadAllLines(Path.Combine(export, "stream.tsv"));
        Assert.Equal(report.KnownSamples + report.UnknownSamples, stream.Length);
        Assert.Equal(report.KnownSamples, stream.Count(l => l.Split('\t')[1] == "1"));
        Assert.Equal(20, File.ReadAllLines(Path.Combine(export, "taught.labels.txt")).Length);
        long header = new FileInfo(Path.Combine(export, "stream.npy")).Length - 4L * stream.Length * 96;
        Assert.True(header is > 0 and < 256 && header % 64 == 0, $"stream.npy is not {stream.Length} float32 rows of 96 (header {header} bytes)");
        Assert.Equal(24, f.Known);
        Assert.Equal(16, f.UnknownClips);
        Assert.InRange(report.ContinuousHours * 3600, 7.99, 8.01); // the 8 s file, heard through the device's VAD
        Assert.NotNull(f.FalseAcceptsPerHour);
        Assert.InRange(f.Accuracy, 0.6, 1.0);
        Assert.InRange(f.FalseRejectRate, 0.0, 0.3);
        Assert.True(f.Auroc > 0.7, $"AUROC {f.Auroc}");
        Assert.Equal(["left", "right", "talk"], f.AurocByGroup.Keys.Order());
        Assert.Equal(3, report.Methods[0].OperatingPoints.Count);
        // The operating points are monotone: a higher threshold rejects more and accepts fewer untaught clips.
        OperatingPoint low = report.Methods[0].OperatingPoints.Single(p => p.Threshold == 0.3f), high = report.Methods[0].OperatingPoints.Single(p => p.Threshold == 0.5f);
        Assert.True(low.FalseRejectRate <= high.FalseRejectRate && low.FalseAcceptRate >= high.FalseAcceptRate);
        IReadOnlyList<string> files = OpenSetReportWriter.Write(report, Path.Combine(_dir, "out"));
        Assert.Contains("\"schema\": \"edgecl.openset/v1\"", File.ReadAllText(files[0]), StringComparison.Ordinal);
    }

    [Fact]
    public void Continuous_audio_is_heard_as_the_device_hears_it_one_sample_per_utterance_and_talk_is_not_embedded()
    {
        KeywordData.RequireSupport();
        string unknown = Unknown();
        // 6 s of digital silence: the VAD hears nothing, so the file is one rejected sample that still counts its time.
        Directory.CreateDirectory(Path.Combine(unknown, "quiet"));
        Onnx.Audio.WavWriter.WriteMono16(Path.Combine(unknown, "quiet", "room.wav"), new float[6 * 16000], 16000);
        string deviceExport = Path.Combine(_dir, "device"), windowsExport = Path.Combine(_dir, "windows");
        OpenSetReport device = OpenSetRunner.Run(Settings(unknown: unknown) with { ExportDirectory = deviceExport }, LearnerRegistry.CreateDefault());
        OpenSetReport windows = OpenSetRunner.Run(Settings(unknown: unknown) with { ExportDirectory = windowsExport, Talk = TalkFrontEnd.Windows },
            LearnerRegistry.CreateDefault());

        Assert.Equal(("device", "windows"), (device.Talk, windows.Talk));
        // Both count the same 14 s of continuous audio, and the same clips give the same figures.
        Assert.Equal(14.0, device.ContinuousHours * 3600, 6);
        Assert.InRange(windows.ContinuousHours * 3600, 12.0, 14.0);
        Assert.Equal(windows.Methods[0].Overall.Accuracy, device.Methods[0].Overall.Accuracy);
        Assert.Equal(windows.Methods[0].Overall.FalseAcceptRateByGroup["left"], device.Methods[0].Overall.FalseAcceptRateByGroup["left"]);

        // The talk file is words back to back: the VAD hears stretches of speech, cut at the longest utterance, and the
        // isolated-word rule answers every piece unknown (too long, or no pause before it) before the backbone runs. The
        // silent file is "no-speech".
        string[][] talk = File.ReadAllLines(Path.Combine(deviceExport, "stream.tsv")).Select(l => l.Split('\t')).Where(c => c[3] == "talk").ToArray();
        Assert.Equal(device.TalkUtterances, talk.Length);
        Assert.True(talk.Length >= 4, $"{talk.Length} utterances in 8 s of talk");
        Assert.All(talk, c => Assert.Contains(c[7], (string[])["long-speech", "no-pause", "after-talk"]));
        Assert.Contains(talk, c => c[7] == "long-speech");
        Assert.Equal(talk.Length, device.TalkNotEmbedded.GetValueOrDefault("long-speech") + device.TalkNotEmbedded.GetValueOrDefault("no-pause"));
        Assert.Equal(1, device.TalkNotEmbedded[DeviceListening.NoSpeech]);
        Assert.Equal(0.0, device.Methods[0].Overall.FalseAcceptsPerHour);
        // Sliding windows embed every 0.75 s of the same file; the device embeds none of it.
        Assert.True(File.ReadAllLines(Path.Combine(windowsExport, "stream.tsv")).Count(l => l.Split('\t')[3] == "talk") > talk.Length);
    }

    [Fact]
    public void A_device_configs_rule_is_the_one_applied_and_with_the_rule_off_every_utterance_is_embedded()
    {
        KeywordData.RequireSupport();
        var off = new EdgeCL.Device.Config.RecognitionSettings { MinPauseBeforeMs = 0, MinPauseAfterTalkMs = 0, MaxWordMs = 0 };
        string export = Path.Combine(_dir, "rule-off");
        OpenSetReport report = OpenSetRunner.Run(Settings() with { Recognition = off, ExportDirectory = export }, LearnerRegistry.CreateDefault());
        Assert.Equal("min_pause_before_ms 0, min_pause_after_talk_ms 0, max_word_ms 0, vad.foreground_db 15", report.TalkRule);
        Assert.Empty(report.TalkNotEmbedded);
        string[][] talk = File.ReadAllLines(Path.Combine(export, "stream.tsv")).Select(l => l.Split('\t')).Where(c => c[3] == "talk").ToArray();
        Assert.Equal(report.TalkUtterances, talk.Length);
        Assert.All(talk, c => Assert.Equal("-", c[7]));
    }

    [Fact]
    public void With_a_correlation_the_taught_words_come_in_runs_and_the_untaught_material_stays_between_them()
    {
        KeywordData.RequireSupport();
        string shuffledExport = Path.Combine(_dir, "shuffled"), correlatedExport = Path.Combine(_dir, "correlated");
        OpenSetReport shuffled = OpenSetRunner.Run(Settings() with { ExportDirectory = shuffledExport }, LearnerRegistry.CreateDefault());
        OpenSetReport correlated = OpenSetRunner.Run(Settings() with { ExportDirectory = correlatedExport, Correlation = 0.01 }, LearnerRegistry.CreateDefault());
        string[][] Rows(string export) => File.ReadAllLines(Path.Combine(export, "stream.tsv")).Select(l => l.Split('\t')).ToArray();
        string[][] a = Rows(shuffledExport), b = Rows(correlatedExport);
        // The same samples (every clip and utterance once), only in another order.
        Assert.Equal(a.Select(c => string.Join('|', c)).Order(StringComparer.Ordinal), b.Select(c => string.Join('|', c)).Order(StringComparer.Ordinal));
        Assert.Equal((shuffled.KnownSamples, shuffled.UnknownSamples), (correlated.KnownSamples, correlated.UnknownSamples));
        // Taught words, in stream order, skipping what lies between them: γ = 0.01 puts most of each word's 6 clips in one run.
        double Runs(string[][] rows) => EdgeCL.Core.Evaluation.LabelCorrelation.MeanRunLength(rows.Where(c => c[1] == "1").Select(c => c[2]).ToList());
        Assert.True(Runs(b) >= 4.0, $"correlated mean run {Runs(b)}"); // 24 clips in 6 runs here (RoTTA's sampler splits a word now and then)
        Assert.True(Runs(a) < 2.5, $"shuffled mean run {Runs(a)}");
        // Untaught material is not all at one end: some of it comes before the last taught clip and some after the first.
        int firstKnown = Array.FindIndex(b, c => c[1] == "1"), lastKnown = Array.FindLastIndex(b, c => c[1] == "1");
        Assert.Contains(b[firstKnown..lastKnown], c => c[1] == "0");
        Assert.Contains("label-correlated order (Dirichlet γ = 0.01)", OpenSetReportWriter.Markdown(correlated), StringComparison.Ordinal);
        Assert.Contains(", shuffled:", OpenSetReportWriter.Markdown(shuffled), StringComparison.Ordinal);
    }

    [Fact]
    public void Interleave_keeps_each_sequence_in_order_and_loses_nothing()
    {
        var random = new EdgeCL.Core.Evaluation.DeterministicRandom(7);
        int[] a = [1, 2, 3, 4, 5], b = [-1, -2, -3];
        List<int> merged = OpenSetRunner.Interleave(a, b, random);
        Assert.Equal(a, merged.Where(x => x > 0));
        Assert.Equal(b, merged.Where(x => x < 0));
        Assert.Equal([1, 2], OpenSetRunner.Interleave([1, 2], Array.Empty<int>(), random));
    }

    [Fact]
    public void A_threshold_of_one_rejects_everything()
    {
        KeywordData.RequireSupport();
        OpenSetFigures f = OpenSetRunner.Run(Settings(threshold: 1f), LearnerRegistry.CreateDefault()).Methods[0].Overall;
        Assert.Equal((1.0, 0.0, 0.0), (f.FalseRejectRate, f.FalseAcceptRate!.Value, f.FalseAcceptsPerHour!.Value));
    }

    [Fact]
    public void Bad_input_is_one_line_before_any_embedding()
    {
        Assert.Throws<ArgumentException>(() => OpenSetRunner.Run(Settings(unknown: Path.Combine(_dir, "missing")), LearnerRegistry.CreateDefault()));
        Assert.Throws<ArgumentException>(() => OpenSetRunner.Run(Settings(threshold: 2f), LearnerRegistry.CreateDefault()));
        File.WriteAllText(Path.Combine(_dir, "a-file"), "");
        var export = Assert.Throws<ArgumentException>(() => OpenSetRunner.Run(Settings() with { ExportDirectory = Path.Combine(_dir, "a-file", "x") }, LearnerRegistry.CreateDefault()));
        Assert.Contains("--export", export.Message, StringComparison.Ordinal);
        string data = Path.Combine(_dir, "reserved");
        Directory.CreateDirectory(Path.Combine(data, "unknown"));
        File.Copy(Directory.GetFiles(Path.Combine(KeywordData.RequireSupport(), "yes"))[0], Path.Combine(data, "unknown", "a.wav"));
        var e = Assert.Throws<InputFormatException>(() => OpenSetRunner.Run(Settings() with { Data = data }, LearnerRegistry.CreateDefault()));
        Assert.Contains("reserved", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Auroc_counts_ties_half()
    {
        Assert.Equal(1.0, OpenSetMetrics.Auroc([0.9f, 0.8f], [0.1f, 0.2f]));
        Assert.Equal(0.5, OpenSetMetrics.Auroc([0.5f], [0.5f]));
        Assert.Equal(0.875, OpenSetMetrics.Auroc([0.5f, 0.9f], [0.5f, 0.1f]), 6); // 1 + 1 + 1 + one tie
    }

    private string Copy(string split, string[] words, int perWord)
    {
        string root = Path.Combine(_dir, split);
        foreach (string w in words)
        {
            Directory.CreateDirectory(Path.Combine(root, w));
            foreach (string f in Directory.GetFiles(Path.Combine(KeywordData.Root, split, w)).Order(StringComparer.Ordinal).Take(perWord))
                File.Copy(f, Path.Combine(root, w, Path.GetFileName(f)), overwrite: true);
        }
        return root;
    }

    private string Unknown()
    {
        string root = Path.Combine(_dir, "unknown");
        if (Directory.Exists(root))
            return root;
        Copy("test", ["left", "right"], 8);
        Directory.CreateDirectory(root);
        foreach (string w in new[] { "left", "right" })
            Directory.Move(Path.Combine(_dir, "test", w), Path.Combine(root, w));
        // 8 s of other words back to back (no gaps), as one continuous recording.
        var talk = new List<float>();
        foreach (string f in Directory.GetFiles(Path.Combine(KeywordData.Root, "test", "stop")).Order(StringComparer.Ordinal))
        {
            // Only the spoken part of each clip (from the first to the last sample above 2 % of its peak): the clips'
            // own silence would make isolated words of them.
            float[] clip = Onnx.Audio.WavReader.ReadMono(f, 16000);
            float floor = 0.02f * clip.Max(MathF.Abs);
            int first = Array.FindIndex(clip, x => MathF.Abs(x) > floor), last = Array.FindLastIndex(clip, x => MathF.Abs(x) > floor);
            talk.AddRange(clip[first..(last + 1)]);
            if (talk.Count >= 8 * 16000)
                break;
        }
        Directory.CreateDirectory(Path.Combine(root, "talk"));
        Onnx.Audio.WavWriter.WriteMono16(Path.Combine(root, "talk", "talk.wav"), talk.Take(8 * 16000).ToArray(), 16000);
        return root;
    }
}
