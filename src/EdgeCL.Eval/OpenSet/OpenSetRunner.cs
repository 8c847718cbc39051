using System.Globalization;
using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Learning;
using EdgeCL.Core.Learning.OpenSet;
using EdgeCL.Core.Memory;
using EdgeCL.Eval.Data;
using EdgeCL.Eval.Embedding;
using EdgeCL.Eval.Shifts;
using EdgeCL.Onnx.Audio;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;

namespace EdgeCL.Eval.OpenSet;

/// <summary>
/// Open-set evaluation as a device lives: teach k shots per class (and optionally a background class), then one
/// unbroken stream, condition after condition, in which the taught classes' test clips are mixed (seeded order) with
/// material that belongs to no class; every sample goes through <see cref="IStreamLearner.Observe"/>, so adaptive
/// learners meet the unknown material as a device does. A second pass corrects the first N false accepts by teaching
/// them as the background class (what a user's "not this" does) and compares what follows with the first pass.
/// </summary>
public static class OpenSetRunner
{
    /// <summary>Runs the evaluation; every bad input fails before anything is embedded.</summary>
    /// <exception cref="ArgumentException">Bad settings, unknown method or shift (exit 2).</exception>
    /// <exception cref="InputFormatException">Bad or mismatched data (exit 3).</exception>
    /// <exception cref="ModelLoadException">Backbone missing or unusable (exit 4).</exception>
    public static OpenSetReport Run(OpenSetSettings settings, LearnerRegistry learners, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(learners);
        settings.Validate();
        if (settings.ExportDirectory is { } export)
        {
            // Up front, so a bad --export costs nothing to find out.
            try
            {
                Directory.CreateDirectory(export);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"--export '{export}' cannot be created ({ex.Message}); give a writable folder.", ex);
            }
        }
        IReadOnlyList<ShiftSpec> conditions = ShiftCatalog.ParseList(settings.Shifts ?? "clean", 3);
        var options = new LearnerOptions { Parameters = settings.Parameters, OpenSet = new OpenSetOptions { Threshold = settings.Threshold } };
        learners.Validate(settings.Methods, options);

        Dataset data = DatasetLoader.Load(settings.Data, 0, settings.Seed);
        Dataset? test = settings.Test is null ? null : DatasetLoader.Load(settings.Test, 0, settings.Seed);
        Dataset unknown = DatasetLoader.Load(settings.Unknown, 0, settings.Seed);
        Dataset? background = settings.Background is null ? null : DatasetLoader.Load(settings.Background, 0, settings.Seed);
        foreach (Dataset d in new[] { test, unknown, background }.OfType<Dataset>())
            if (d.Kind != data.Kind)
                throw new InputFormatException($"'{d.Root}' holds {d.Kind} samples but --data holds {data.Kind}; every set must be the same kind.");
        foreach (string c in data.Classes)
            if (ReservedLabels.Problem(c) is { } problem)
                throw new InputFormatException($"--data class folder '{c}': {problem}");
        if (test is not null && test.Classes.FirstOrDefault(c => !data.Classes.Contains(c)) is { } stray)
            throw new InputFormatException($"--test has class '{stray}', which --data lacks; every test class needs labelled examples.");
        var shots = DrawShots(data, settings.Shots, settings.Seed);
        IReadOnlyList<DatasetItem> known = test?.Items ?? data.Items.Where(i => !shots.Contains(i)).ToList();
        if (known.Count == 0)
            throw new InputFormatException($"No test clips of the taught classes are left after {settings.Shots} shots; give --test or lower --shots.");

        using IEmbeddingBackbone backbone = BackboneCatalog.Open(settings.Backbone, settings.Sessions, null, settings.ModelsRoot);
        var babblePool = data.Items.Concat(test?.Items ?? []).ToList();
        ISampleEmbedder embedder = (data.Kind, backbone) switch
        {
            (DatasetKind.Audio, SpeechBackbone speech) => new SpeechSampleEmbedder(speech, babblePool, settings.Seed),
            (DatasetKind.Image, ImageBackbone image) => new ImageSampleEmbedder(image, settings.Seed),
            _ => throw new ArgumentException($"Backbone '{backbone.Name}' takes {string.Join("/", backbone.FileExtensions)} files but the data holds {data.Kind.ToString().ToLowerInvariant()}; pick the matching backbone."),
        };
        int dim = embedder.Space.Dimension;

        // Embed once: the labelled examples clean, then every stream sample under every condition.
        progress?.Report("embedding the labelled examples");
        var taught = shots.Select(item => (item.Label, Embed(embedder, item, ShiftSpec.Clean, dim))).ToList();
        var backgroundRows = background?.Items.Select(item => Embed(embedder, item, ShiftSpec.Clean, dim)).ToList() ?? [];
        var stream = new List<StreamEvent>();
        bool deviceTalk = backbone is SpeechBackbone && settings.Talk == TalkFrontEnd.Device;
        using (DeviceListening? listening = deviceTalk ? DeviceListening.Open(settings) : null)
        {
            for (int c = 0; c < conditions.Count; c++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report($"embedding condition {conditions[c]} ({c + 1}/{conditions.Count})");
                stream.AddRange(ConditionEvents(embedder, backbone, listening, known, unknown, conditions[c], c, settings.Seed, settings.Correlation, dim));
            }
        }

        if (settings.ExportDirectory is { } exportDirectory)
            OpenSetExport.Write(exportDirectory, taught, backgroundRows, stream, dim);

        var methods = new List<OpenSetMethodResult>();
        foreach (string method in settings.Methods)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report($"running {method}");
            Outcome[] plain = Replay(learners, method, embedder, options, taught, backgroundRows, stream, 0, out _);
            Outcome[] corrected = Replay(learners, method, embedder, options, taught, backgroundRows, stream, settings.Corrections, out int lastCorrection);
            methods.Add(OpenSetMetrics.Summarise(method, stream, plain, corrected, lastCorrection, settings, conditions));
        }
        return new OpenSetReport
        {
            Command = "eval --unknown",
            Backbone = backbone.Name,
            SpaceId = embedder.Space.Id,
            Classes = data.Classes.ToList(),
            Shots = settings.Shots,
            Seed = settings.Seed,
            Correlation = settings.Correlation,
            Conditions = conditions.Select(c => c.DomainName).ToList(),
            Threshold = settings.Threshold,
            BackgroundExamples = backgroundRows.Count,
            Corrections = settings.Corrections,
            KnownSamples = stream.Count(e => e.Known),
            UnknownSamples = stream.Count(e => !e.Known),
            UnknownGroups = unknown.Classes.ToList(),
            ContinuousHours = stream.Where(e => e.Window).Sum(e => e.Seconds) / conditions.Count / 3600.0,
            Talk = deviceTalk ? "device" : "windows",
            TalkUtterances = stream.Count(e => e.Utterance && e.NotAWord != DeviceListening.NoSpeech),
            TalkNotEmbedded = stream.Where(e => e.NotAWord is not null).GroupBy(e => e.NotAWord!, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            TalkRule = deviceTalk
                ? string.Create(CultureInfo.InvariantCulture, $"min_pause_before_ms {settings.Recognition.MinPauseBeforeMs}, min_pause_after_talk_ms {settings.Recognition.MinPauseAfterTalkMs}, max_word_ms {settings.Recognition.MaxWordMs}, vad.foreground_db {settings.Vad.ForegroundDb}")
                : null,
            Methods = methods,
        };
    }

    private static HashSet<DatasetItem> DrawShots(Dataset data, int shots, long seed)
    {
        var chosen = new HashSet<DatasetItem>();
        foreach (string c in data.Classes)
        {
            var items = data.Items.Where(i => i.Label == c).OrderBy(i => i.Key, StringComparer.Ordinal).ToList();
            if (items.Count < shots)
                throw new ArgumentException($"Class '{c}' has {items.Count} examples in --data; --shots {shots} needs at least that many.");
            new DeterministicRandom(DeterministicRandom.Derive(seed, "open-set-shots:" + c)).Shuffle(items);
            chosen.UnionWith(items.Take(shots));
        }
        return chosen;
    }

    // One condition's samples: known clips and unknown clips in a seeded order; each continuous file's windows stay
    // together as one run (a stretch of talk), placed among the clips. With a correlation the known clips follow the
    // label-correlated order (runs of one word) and the unknown runs are interleaved at random between them.
    private static List<StreamEvent> ConditionEvents(ISampleEmbedder embedder, IEmbeddingBackbone backbone, DeviceListening? listening,
        IReadOnlyList<DatasetItem> known, Dataset unknown, ShiftSpec condition, int conditionIndex, long seed, double correlation, int dim)
    {
        var order = new DeterministicRandom(DeterministicRandom.Derive(seed, "open-set-order", conditionIndex));
        IReadOnlyList<DatasetItem> knownOrder = correlation > 0 ? LabelCorrelation.Order(known, item => item.Label, correlation, order) : known;
        var knownRuns = new List<List<StreamEvent>>();
        foreach (DatasetItem item in knownOrder)
            knownRuns.Add([new StreamEvent(conditionIndex, true, item.Label, item.Label, item.Path, false, 0, Embed(embedder, item, condition, dim))]);
        var unknownRuns = new List<List<StreamEvent>>();
        for (int i = 0; i < unknown.Items.Count; i++)
        {
            DatasetItem item = unknown.Items[i];
            if (backbone is SpeechBackbone speech && embedder is IBabbleSource babble && Windows(speech, item.Path) is { } pcm)
                unknownRuns.Add(listening is null ? WindowEvents(speech, babble, pcm, item, condition, conditionIndex, seed, dim)
                    : listening.Listen(Shifted(speech, babble, pcm, item, condition, seed), item, conditionIndex));
            else
                unknownRuns.Add([new StreamEvent(conditionIndex, false, ReservedLabels.Unknown, item.Label, item.Path, false, 0, Embed(embedder, item, condition, dim))]);
        }
        if (correlation <= 0)
        {
            // Shuffled: every run anywhere (the order before --correlation existed, same seed, same stream).
            List<List<StreamEvent>> runs = [.. knownRuns, .. unknownRuns];
            order.Shuffle(runs);
            return runs.SelectMany(r => r).ToList();
        }
        order.Shuffle(unknownRuns);
        return Interleave(knownRuns, unknownRuns, order).SelectMany(r => r).ToList();
    }

    /// <summary>Merges two sequences at random, keeping the order within each: at every step the next run comes from
    /// <paramref name="a"/> with probability (runs left in a) / (runs left in both).</summary>
    internal static List<T> Interleave<T>(IReadOnlyList<T> a, IReadOnlyList<T> b, DeterministicRandom random)
    {
        var merged = new List<T>(a.Count + b.Count);
        int i = 0, j = 0;
        while (i < a.Count || j < b.Count)
        {
            int left = a.Count - i + b.Count - j;
            merged.Add(random.NextInt(0, left) < a.Count - i ? a[i++] : b[j++]);
        }
        return merged;
    }

    // Continuous audio: the file's PCM when it is longer than two clips, else null (a clip).
    private static float[]? Windows(SpeechBackbone speech, string path)
    {
        float[] pcm = WavReader.ReadMono(path, speech.SampleRate);
        return pcm.Length > 2 * speech.ClipSamples ? pcm : null;
    }

    // The whole file under the condition, as one long clip (its own seed; the windows below draw theirs per window).
    private static float[] Shifted(SpeechBackbone speech, IBabbleSource babble, float[] pcm, DatasetItem item, ShiftSpec condition, long seed) =>
        condition.IsClean ? pcm : AudioShifts.Apply(condition, pcm, new AudioShiftContext(speech.SampleRate, pcm.Length,
            DeterministicRandom.Derive(seed, "shift:" + condition.DomainName + ":" + item.Key, -1), seed, babble));

    private static List<StreamEvent> WindowEvents(SpeechBackbone speech, IBabbleSource babble, float[] pcm, DatasetItem item, ShiftSpec condition,
        int conditionIndex, long seed, int dim)
    {
        int clip = speech.ClipSamples, hop = clip / 2;
        var events = new List<StreamEvent>();
        for (int start = 0, w = 0; start + clip <= pcm.Length; start += hop, w++)
        {
            float[] window = pcm.AsSpan(start, clip).ToArray();
            if (!condition.IsClean)
                window = AudioShifts.Apply(condition, window, new AudioShiftContext(speech.SampleRate, clip,
                    DeterministicRandom.Derive(seed, "shift:" + condition.DomainName + ":" + item.Key, w), seed, babble));
            var embedding = new float[dim];
            speech.EmbedPcm(window, embedding);
            events.Add(new StreamEvent(conditionIndex, false, ReservedLabels.Unknown, item.Label, item.Path, true, hop / (double)speech.SampleRate, embedding));
        }
        return events;
    }

    private static float[] Embed(ISampleEmbedder embedder, DatasetItem item, ShiftSpec shift, int dim)
    {
        var e = new float[dim];
        embedder.Embed(item, -1, shift, e);
        return e;
    }

    // One pass over the stream with a fresh learner. With corrections > 0, the first accepted unknown samples are taught
    // as the negative class of the label they were answered with, right after, as a user's "not this" does.
    private static Outcome[] Replay(LearnerRegistry learners, string method, ISampleEmbedder embedder, LearnerOptions options,
        List<(string Label, float[] Row)> taught, List<float[]> backgroundRows, List<StreamEvent> stream, int corrections, out int lastCorrection)
    {
        IStreamLearner learner = learners.Create(method, embedder.Space, options);
        foreach ((string label, float[] row) in taught)
            learner.Learn(label, row);
        foreach (float[] row in backgroundRows)
            learner.Learn(ReservedLabels.Background, row);
        var outcomes = new Outcome[stream.Count];
        int made = 0;
        lastCorrection = -1;
        for (int i = 0; i < stream.Count; i++)
        {
            if (stream[i].Embedding is not { } embedding)
            {
                outcomes[i] = new Outcome(false, false, float.NaN, false); // the device answered it unknown before any learner
                continue;
            }
            Prediction p = learner.Observe(embedding);
            outcomes[i] = new Outcome(p.Accepted, p.Accepted && p.Label == stream[i].Label, p.GateScore, p.HasClass && ReservedLabels.IsBackground(p.Label));
            if (!stream[i].Known && p.Accepted && made < corrections)
            {
                learner.Learn(ReservedLabels.BackgroundFor(p.Label), embedding);
                made++;
                lastCorrection = i;
            }
        }
        return outcomes;
    }
}

/// <summary>One sample of the open-set stream. <paramref name="Window"/>: a piece of continuous audio, which counts toward
/// the hours (<paramref name="Seconds"/> each); <paramref name="Utterance"/>: one the device's VAD decided, each accepted one
/// its own activation (sliding windows accepted in a row are one); <paramref name="NotAWord"/>: the device's reason for not
/// embedding it (no <paramref name="Embedding"/>, answered unknown, never seen by a learner).</summary>
internal sealed record StreamEvent(int Condition, bool Known, string Label, string Group, string Path, bool Window, double Seconds, float[]? Embedding,
    string? NotAWord = null, bool Utterance = false);

/// <summary>What the learner answered for one sample: accepted, accepted as its true class, the open-set score, and
/// whether the background class won.</summary>
internal readonly record struct Outcome(bool Accepted, bool Correct, float Score, bool Background);
