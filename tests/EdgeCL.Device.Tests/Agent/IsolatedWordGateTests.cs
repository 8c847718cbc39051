using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using EdgeCL.Device.Sources;

namespace EdgeCL.Device.Tests.Agent;

/// <summary>Live audio utterances that are part of talk (no pause before them, or speech running past the VAD's cut) are
/// answered unknown without the learner adapting to them; isolated words, files and corrections are not touched.</summary>
public sealed class IsolatedWordGateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-isolated-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Theory]
    [InlineData(600, double.PositiveInfinity, false, null)]
    [InlineData(600, 400, false, null)]              // exactly the pause asked for
    [InlineData(600, 399, false, "no-pause")]
    [InlineData(600, 250, false, "no-pause")]         // talk: words about a quarter of a second apart
    [InlineData(1500, double.PositiveInfinity, false, null)]
    [InlineData(1501, double.PositiveInfinity, false, "long-speech")]
    [InlineData(1500, double.PositiveInfinity, true, "long-speech")] // cut at vad.max_utterance_ms
    [InlineData(300, 0, true, "long-speech")]         // the rest after a cut
    public void Rules(double speechMs, double pauseMs, bool partOfLonger, string? expected) =>
        Assert.Equal(expected, IsolatedWordGate.Reject(new SpeechTiming(speechMs, pauseMs, partOfLonger), new RecognitionSettings()));

    [Theory]
    [InlineData(false, 500, null)]        // after a word (or silence): the usual 400 ms
    [InlineData(true, 500, "after-talk")]   // after talk: a short phrase at a sentence end
    [InlineData(true, 799, "after-talk")]
    [InlineData(true, 300, "no-pause")]     // too short a pause even after a word
    [InlineData(true, 800, null)]
    public void AfterTalkTheLongerPauseApplies(bool followsTalk, double pauseMs, string? expected)
    {
        var settings = new RecognitionSettings { MinPauseAfterTalkMs = 800 };
        Assert.Equal(expected, IsolatedWordGate.Reject(new SpeechTiming(500, pauseMs, false, followsTalk), settings));
        // Off (0), or shorter than the pause after a word: the pause after a word alone decides.
        Assert.Null(IsolatedWordGate.Reject(new SpeechTiming(500, 500, false, followsTalk), new RecognitionSettings { MinPauseAfterTalkMs = 0 }));
        Assert.Null(IsolatedWordGate.Reject(new SpeechTiming(500, 500, false, followsTalk), new RecognitionSettings { MinPauseAfterTalkMs = 300 }));
    }

    [Fact]
    public void ZeroTurnsEachRuleOff()
    {
        var off = new RecognitionSettings { MinPauseBeforeMs = 0, MaxWordMs = 0 };
        Assert.Null(IsolatedWordGate.Reject(new SpeechTiming(9000, 0, true), off));
        Assert.Null(IsolatedWordGate.Reject(null, new RecognitionSettings())); // a file or a frame
    }

    [Fact]
    public async Task TalkIsAnsweredUnknownAndNeverAdaptedTo()
    {
        var random = new Random(7);
        await using RunningAgent a = await RunningAgent.StartAsync(AgentTestData.Config("gate", "state"), _dir);
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 2; i++)
                a.Source.Add(AgentTestData.Sample(c, random), label: $"class{c}");
        a.WaitForResults(6);

        // Talk: close to a taught class, but run into other speech. Twelve of them would warm the test centre up (10).
        for (int i = 0; i < 12; i++)
            a.Source.Add(Utterance(AgentTestData.Sample(i % 3, random), i % 2 == 0 ? new SpeechTiming(500, 240, false) : new SpeechTiming(1500, 0, true)));
        IReadOnlyList<AgentResult> talk = a.WaitForResults(18).Skip(6).ToList();
        Assert.All(talk, r => Assert.Equal(AgentOutcome.Unknown, r.Outcome));
        Assert.Equal(["no-pause", "long-speech"], talk.Take(2).Select(r => r.Reason));
        Assert.All(talk, r => Assert.NotNull(r.Prediction?.Label)); // the nearest class is still shown
        Assert.Equal("warming-up", a.Agent.Health().Adaptation);
        Assert.Equal(6, a.Agent.Health().Rejected!["no-pause"]);
        Assert.Equal(6, a.Agent.Health().Rejected!["long-speech"]);

        // The same material said on its own is recognised, and the learner adapts.
        for (int i = 0; i < 12; i++)
            a.Source.Add(Utterance(AgentTestData.Sample(i % 3, random), new SpeechTiming(500, 800, false)));
        IReadOnlyList<AgentResult> words = a.WaitForResults(30).Skip(18).ToList();
        Assert.All(words, (r, i) => Assert.Equal((AgentOutcome.Recognised, $"class{i % 3}"), (r.Outcome, r.Label)));
        Assert.Equal("adapting", a.Agent.Health().Adaptation);

        InputSample Utterance(float[] embedding, SpeechTiming timing) =>
            new() { Source = "queue", Origin = "utterance", Embedding = embedding, Speech = timing };
    }

    [Fact]
    public async Task Talk_a_source_did_not_embed_is_answered_unknown_and_teaching_is_never_skipped()
    {
        var random = new Random(9);
        await using RunningAgent a = await RunningAgent.StartAsync(AgentTestData.Config("gate", "state"), _dir);
        a.Source.Add(AgentTestData.Sample(0, random), label: "class0");
        a.WaitForResults(1);

        // What a live audio source asks before it embeds: the same rule as the agent's.
        Func<SpeechTiming, string?> ask = a.Context!.NotAWord!;
        Assert.Equal("no-pause", ask(new SpeechTiming(500, 240, false)));
        Assert.Equal("long-speech", ask(new SpeechTiming(1500, 0, true)));
        Assert.Null(ask(new SpeechTiming(500, 800, false)));

        // An utterance it did not embed: unknown with its reason, counted, no learner, nothing to show as nearest.
        a.Source.Add(new InputSample { Source = "queue", Origin = "utterance 2", NotAWord = "long-speech", Speech = new SpeechTiming(1500, 0, true) });
        AgentResult talk = a.WaitForResults(2)[1];
        Assert.Equal((AgentOutcome.Unknown, "long-speech", (EdgeCL.Core.Memory.Prediction?)null), (talk.Outcome, talk.Reason, talk.Prediction));
        Assert.Equal(1, a.Agent.Health().Rejected!["long-speech"]);

        // While a teach session is open everything said is taught, so the source is told to embed it all.
        a.Agent.Teach("class1");
        for (int i = 0; i < 200 && a.Agent.TeachingLabel is null; i++)
            await Task.Delay(10);
        Assert.Equal("class1", a.Agent.TeachingLabel);
        Assert.Null(ask(new SpeechTiming(500, 240, false)));
        Assert.Null(ask(new SpeechTiming(1500, 0, true)));
    }

    [Fact]
    public async Task A_minute_of_unbroken_speech_is_reported_once()
    {
        var random = new Random(8);
        await using RunningAgent a = await RunningAgent.StartAsync(AgentTestData.Config("gate", "state"), _dir);
        a.Source.Add(AgentTestData.Sample(0, random), label: "class0");
        a.WaitForResults(1);
        // 39 pieces of 1.5 s (58.5 s), an isolated word (the count starts again), then 41 pieces (61.5 s), then 41 more.
        for (int i = 0; i < 39; i++)
            a.Source.Add(Piece());
        a.Source.Add(new InputSample { Source = "queue", Origin = "word", Embedding = AgentTestData.Sample(0, random), Speech = new SpeechTiming(500, 900, false) });
        a.WaitForResults(41);
        Assert.DoesNotContain("continuous speech for", a.LogText);
        for (int i = 0; i < 82; i++)
            a.Source.Add(Piece());
        a.WaitForResults(123);
        Assert.Single(a.LogText.Split('\n'), line => line.Contains("continuous speech for 60 s", StringComparison.Ordinal));

        InputSample Piece() => new() { Source = "queue", Origin = "piece", Embedding = AgentTestData.Sample(0, random), Speech = new SpeechTiming(1500, 0, true) };
    }
}
