using EdgeCL.Device.Audio;
using EdgeCL.Device.Config;

namespace EdgeCL.Device.Tests.Audio;

/// <summary>The segmenter on synthetic probability sequences: one character per 80 ms chunk, 'S' = speech (p 0.9), '_' = silence (p 0.1).</summary>
public sealed class UtteranceSegmenterTests
{
    private const int Chunk = 1280; // 80 ms at 16 kHz

    private static readonly VadSettings Defaults = new(); // 0.5, min speech 160, min silence 240, max 1500, pre-roll 160

    private static List<Utterance> Segment(string pattern, VadSettings? settings = null, bool flush = true, int chunk = Chunk, UtteranceSegmenter? reuse = null)
    {
        UtteranceSegmenter s = reuse ?? new UtteranceSegmenter(settings ?? Defaults);
        s.Reset();
        var found = new List<Utterance>();
        var samples = new float[chunk];
        foreach (char c in pattern)
            if (s.Push(samples, c == 'S' ? 0.9f : 0.1f, out Utterance u))
                found.Add(u);
        if (flush && s.Flush(out Utterance last))
            found.Add(last);
        return found;
    }

    [Theory]
    [InlineData("")]
    [InlineData("________________")]
    [InlineData("__S_____")]           // 80 ms: shorter than min_speech_ms, a click
    [InlineData("__S_____S______S")]
    public void NoUtterance(string pattern) => Assert.Empty(Segment(pattern));

    [Fact]
    public void OneWordEndsAfterTheHangover()
    {
        var s = new UtteranceSegmenter(Defaults);
        var chunk = new float[Chunk];
        string pattern = "____SSSSS______";
        var decidedOn = new List<int>();
        Utterance found = default;
        for (int i = 0; i < pattern.Length; i++)
            if (s.Push(chunk, pattern[i] == 'S' ? 0.9f : 0.1f, out Utterance u))
            {
                decidedOn.Add(i);
                found = u;
            }
        // Speech in chunks 4..8; the third silent chunk (11) completes 240 ms of silence.
        Assert.Equal([11], decidedOn);
        Assert.Equal(new Utterance(1, 2 * Chunk, 4 * Chunk, 9 * Chunk, 12 * Chunk, false, ForegroundStart: 4 * Chunk, ForegroundEnd: 9 * Chunk), found);
        Assert.Equal((4 * Chunk + 9 * Chunk) / 2, found.SpeechCentre);
        Assert.False(s.InSpeech);
        Assert.False(s.Flush(out _));
    }

    [Fact]
    public void PreRollIsClampedToTheStreamStart()
    {
        Utterance u = Assert.Single(Segment("SSS____"));
        Assert.Equal((0L, 0L, 3L * Chunk), (u.Start, u.SpeechStart, u.End));
        u = Assert.Single(Segment("_SSS____"));
        Assert.Equal((0L, 1L * Chunk), (u.Start, u.SpeechStart));
    }

    [Fact]
    public void MinimumSpeechIsInclusive() => Assert.Single(Segment("__SS_____"));

    [Fact]
    public void GapsShorterThanTheHangoverStayInside()
    {
        Utterance u = Assert.Single(Segment("_SS__SS____"));
        Assert.Equal((1L * Chunk, 7L * Chunk), (u.SpeechStart, u.End));
        List<Utterance> two = Segment("_SS___SS____");
        Assert.Equal(2, two.Count);
        Assert.Equal([1, 2], two.Select(x => x.Index));
        Assert.Equal(6L * Chunk - 2 * Chunk, two[1].Start); // pre-roll reaches back into the gap
    }

    [Fact]
    public void ThresholdIsStrict()
    {
        var s = new UtteranceSegmenter(Defaults);
        var chunk = new float[Chunk];
        for (int i = 0; i < 10; i++)
            Assert.False(s.Push(chunk, 0.5f, out _));
        Assert.False(s.InSpeech);
        s.Push(chunk, 0.5001f, out _);
        Assert.True(s.InSpeech);
    }

    [Fact]
    public void LongSpeechIsCutIntoBackToBackPieces()
    {
        List<Utterance> pieces = Segment("__" + new string('S', 40) + "_____");
        Assert.Equal(3, pieces.Count);
        long max = 24000;
        Assert.Equal(new Utterance(1, 0, 2 * Chunk, 2 * Chunk + max, 21 * Chunk, true,
            ForegroundStart: 2 * Chunk, ForegroundEnd: 2 * Chunk + max, ForegroundCut: true), pieces[0]); // cut inside chunk 20
        Assert.Equal(new Utterance(2, 2 * Chunk + max, 2 * Chunk + max, 2 * Chunk + 2 * max, 40 * Chunk, true, FollowsCut: true, QuietBefore: 0,
            ForegroundStart: 2 * Chunk + max, ForegroundEnd: 2 * Chunk + 2 * max, ForegroundCut: true), pieces[1]);
        Assert.Equal(pieces[1].End, pieces[2].Start);
        Assert.Equal(pieces[2].Start, pieces[2].SpeechStart); // a continuation has no pre-roll
        Assert.Equal((42L * Chunk, 45L * Chunk, false, true), (pieces[2].End, pieces[2].DecidedAt, pieces[2].WasCut, pieces[2].FollowsCut));
    }

    [Fact]
    public void PauseBeforeIsTheSilenceSinceTheLastSpeechOfAnyKind()
    {
        // A word, 5 chunks of silence, a click too short to keep, 3 chunks of silence, a word, 9 chunks of silence, a word.
        List<Utterance> found = Segment("SSS_____S___SSS_________SSS____");
        Assert.Equal(3, found.Count);
        Assert.Equal(long.MaxValue, found[0].QuietBefore); // nothing was said before it in this stream
        Assert.Equal(3L * Chunk, found[1].QuietBefore);    // the click counts as speech: 3 chunks, not 9
        Assert.Equal(9L * Chunk, found[2].QuietBefore);
        Assert.All(found, u => Assert.False(u.WasCut || u.FollowsCut));
    }

    [Fact]
    public void SpeechWellBelowTheLoudestIsBackground()
    {
        // Background talk (amplitude 100) never stops; a word at amplitude 1000 (20 dB louder) is said over it for 4 chunks.
        var s = new UtteranceSegmenter(Defaults);
        var found = new List<Utterance>();
        var quiet = Enumerable.Repeat(100f, Chunk).ToArray();
        var loud = Enumerable.Repeat(1000f, Chunk).ToArray();
        string pattern = "bbbbbbbbbbbbLLLLbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
        foreach (char c in pattern)
            if (s.Push(c == 'L' ? loud : quiet, 0.9f, out Utterance u))
                found.Add(u);
        // The VAD hears speech throughout, so the piece holding the word was cut; its foreground is the word alone.
        Utterance piece = found.Single(u => u.SpeechStart <= 12 * Chunk && u.End >= 16 * Chunk);
        Assert.True(piece.WasCut);
        Assert.Equal((12L * Chunk, 16L * Chunk, false), (piece.ForegroundStart, piece.ForegroundEnd, piece.ForegroundCut));
        Assert.Equal(long.MaxValue, piece.QuietBefore); // nothing as loud as the word since the stream started
        // With foreground_db 0 every speech chunk counts: the same piece is part of longer speech.
        var all = new UtteranceSegmenter(new VadSettings { ForegroundDb = 0 });
        Utterance? plain = null;
        foreach (char c in pattern)
            if (all.Push(c == 'L' ? loud : quiet, 0.9f, out Utterance u) && u.SpeechStart <= 12 * Chunk && u.End >= 16 * Chunk)
                plain = u;
        Assert.True(plain!.Value.ForegroundCut);
    }

    [Fact]
    public void PauseBeforeStartsAfreshAfterReset()
    {
        var s = new UtteranceSegmenter(Defaults);
        Assert.Single(Segment("SSS______", reuse: s));
        List<Utterance> next = Segment("__SSS______", reuse: s); // Segment resets: a new recording
        Assert.Equal(long.MaxValue, Assert.Single(next).QuietBefore);
    }

    [Fact]
    public void SpeechAfterACutPieceEndsIsANewUtteranceWithItsPause()
    {
        List<Utterance> pieces = Segment(new string('S', 21) + "_____SS___");
        Assert.Equal(3, pieces.Count);
        Assert.True(pieces[0].WasCut);
        Assert.True(pieces[1].FollowsCut); // the 180 ms after the cut at 1,500 ms
        Assert.False(pieces[2].FollowsCut);
        Assert.Equal(5L * Chunk, pieces[2].QuietBefore);
    }

    [Fact]
    public void CutOnAChunkBoundaryContinuesOnlyIntoSpeech()
    {
        const int chunk = 1600; // 100 ms: 15 chunks are exactly the 1500 ms maximum
        List<Utterance> pieces = Segment(new string('S', 20) + "____", chunk: chunk);
        Assert.Equal(2, pieces.Count);
        Assert.Equal((0L, 24000L, 24000L, true), (pieces[0].SpeechStart, pieces[0].End, pieces[0].DecidedAt, pieces[0].WasCut));
        Assert.Equal((24000L, 24000L, 32000L), (pieces[1].Start, pieces[1].SpeechStart, pieces[1].End));

        // Silence right after a boundary cut: the next speech is a new utterance with its pre-roll.
        pieces = Segment(new string('S', 15) + "_SS____", chunk: chunk);
        Assert.Equal(2, pieces.Count);
        Assert.Equal((16L * chunk - 2560, 16L * chunk), (pieces[1].Start, pieces[1].SpeechStart));
    }

    [Fact]
    public void FlushClosesAnOpenUtteranceIfLongEnough()
    {
        var s = new UtteranceSegmenter(Defaults);
        var chunk = new float[Chunk];
        foreach (char c in "__SSS")
            s.Push(chunk, c == 'S' ? 0.9f : 0.1f, out _);
        Assert.True(s.Flush(out Utterance u));
        Assert.Equal(new Utterance(1, 0, 2 * Chunk, 5 * Chunk, 5 * Chunk, false, ForegroundStart: 2 * Chunk, ForegroundEnd: 5 * Chunk), u);
        Assert.False(s.Flush(out _));
        Assert.Empty(Segment("__S"));
    }

    [Fact]
    public void CopySamplesReturnsTheUtteranceWithItsPreRoll()
    {
        var s = new UtteranceSegmenter(Defaults);
        string pattern = string.Concat(Enumerable.Repeat("______SSSSSSSS____", 6));
        var chunk = new float[Chunk];
        long at = 0;
        int checkedCount = 0;
        foreach (char c in pattern)
        {
            for (int i = 0; i < Chunk; i++)
                chunk[i] = (at + i) % 1_000_003;
            at += Chunk;
            if (!s.Push(chunk, c == 'S' ? 0.9f : 0.1f, out Utterance u))
                continue;
            var pcm = new float[s.MaxUtteranceSamples];
            int n = s.CopySamples(u, pcm);
            Assert.Equal(u.End - u.Start, n);
            for (int i = 0; i < n; i++)
                Assert.Equal((u.Start + i) % 1_000_003, pcm[i]);
            checkedCount++;
        }
        Assert.Equal(6, checkedCount);
        var old = new Utterance(1, 0, 0, Chunk, Chunk, false);
        Assert.Throws<InvalidOperationException>(() => s.CopySamples(old, new float[Chunk]));
    }

    [Fact]
    public void CopyRangeZeroesWhatIsBeforeTheStartOrNotPushedYet()
    {
        var s = new UtteranceSegmenter(Defaults);
        var chunk = new float[Chunk];
        for (int h = 0; h < 40; h++) // 3.2 s, more than the 2.9 s history
        {
            for (int i = 0; i < Chunk; i++)
                chunk[i] = h * Chunk + i + 1;
            s.Push(chunk, 0.1f, out _);
        }
        long pushed = s.SamplesPushed;
        var clip = new float[24_000];
        // The last 1 s heard, then 0.5 s not heard yet.
        Assert.Equal(16_000, s.CopyRange(pushed - 16_000, clip));
        for (int i = 0; i < clip.Length; i++)
            Assert.Equal(i < 16_000 ? pushed - 16_000 + i + 1 : 0, clip[i]);
        Assert.Throws<InvalidOperationException>(() => s.CopyRange(0, clip));

        s.Reset();
        s.Push(chunk.AsSpan(0, 100), 0.1f, out _);
        Assert.Equal(100, s.CopyRange(-50, clip.AsSpan(0, 200)));
        Assert.Equal(0, clip[49]);
        Assert.Equal(chunk[0], clip[50]);
        Assert.Equal(0, clip[150]);
    }

    [Fact]
    public void ResetRestartsPositionsButNotNumbering()
    {
        var s = new UtteranceSegmenter(Defaults);
        var chunk = new float[Chunk];
        foreach (char c in "SSSS___")
            s.Push(chunk, c == 'S' ? 0.9f : 0.1f, out _);
        s.Push(chunk, 0.9f, out _); // an open utterance is dropped by Reset
        s.Reset();
        Assert.Equal(0, s.SamplesPushed);
        Assert.False(s.InSpeech);
        Utterance last = default;
        foreach (char c in "_SSS___")
            if (s.Push(chunk, c == 'S' ? 0.9f : 0.1f, out Utterance u))
                last = u;
        Assert.Equal((2, 1L * Chunk), (last.Index, last.SpeechStart));
    }

    [Theory]
    [InlineData(1.5f, 160, 240, 1500, 160)]
    [InlineData(-0.1f, 160, 240, 1500, 160)]
    [InlineData(0.5f, -1, 240, 1500, 160)]
    [InlineData(0.5f, 160, -1, 1500, 160)]
    [InlineData(0.5f, 160, 240, 0, 160)]
    [InlineData(0.5f, 160, 240, 1500, -5)]
    [InlineData(0.5f, 160, 240, 60_001, 160)]
    public void InvalidSettingsAreRejected(float threshold, int minSpeech, int minSilence, int max, int preRoll)
    {
        var ex = Assert.Throws<ArgumentException>(() => new UtteranceSegmenter(new VadSettings
        {
            Threshold = threshold, MinSpeechMs = minSpeech, MinSilenceMs = minSilence, MaxUtteranceMs = max, PreRollMs = preRoll,
        }));
        Assert.StartsWith("vad", ex.Message);
    }

    [Fact]
    public void PushAllocatesNothing()
    {
        var s = new UtteranceSegmenter(Defaults);
        var chunk = new float[Chunk];
        string pattern = "__SSSSSS____" + new string('S', 30) + "____";
        s.Push(chunk, 0.1f, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (char c in pattern)
            s.Push(chunk, c == 'S' ? 0.9f : 0.1f, out _);
        s.Flush(out _);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>Every speech/silence sequence of 12 chunks, for hangovers of 0 to 3 chunks and minimum speech of 0 to 3
    /// chunks (no cuts), against a straightforward offline segmentation.</summary>
    [Fact]
    public void AllShortSequencesMatchAnOfflineReference()
    {
        const int n = 12;
        for (int minSilence = 0; minSilence <= 3; minSilence++)
            for (int minSpeech = 0; minSpeech <= 3; minSpeech++)
            {
                var settings = new VadSettings { MinSilenceMs = minSilence * 80, MinSpeechMs = minSpeech * 80, MaxUtteranceMs = 2_000, PreRollMs = 80 };
                var segmenter = new UtteranceSegmenter(settings); // reused: Reset per sequence
                for (int bits = 0; bits < 1 << n; bits++)
                {
                    string pattern = new(Enumerable.Range(0, n).Select(i => (bits >> i & 1) == 1 ? 'S' : '_').ToArray());
                    var expected = Reference(pattern, minSilence, minSpeech);
                    var actual = Segment(pattern, settings, reuse: segmenter).Select(u => (u.SpeechStart / Chunk, u.End / Chunk, u.DecidedAt / Chunk, u.Start / Chunk)).ToList();
                    Assert.True(expected.SequenceEqual(actual), $"pattern {pattern}, hangover {minSilence}, min speech {minSpeech}: expected {string.Join(" ", expected)}, got {string.Join(" ", actual)}");
                }
            }

        static List<(long, long, long, long)> Reference(string p, int minSilence, int minSpeech)
        {
            var result = new List<(long, long, long, long)>();
            int i = 0;
            while (i < p.Length)
            {
                if (p[i] != 'S') { i++; continue; }
                int first = i, last = i;
                // Extend while the next speech is fewer than max(hangover, 1) silent chunks away.
                for (int j = i + 1; j < p.Length; j++)
                {
                    if (p[j] != 'S')
                        continue;
                    if (j - last - 1 < Math.Max(minSilence, 1)) last = j;
                    else break;
                }
                long decided = Math.Min(last + 1 + Math.Max(minSilence, 1), p.Length);
                if (last + 1 - first >= minSpeech)
                    result.Add((first, last + 1, decided, Math.Max(0, first - 1)));
                i = last + 1;
            }
            return result;
        }
    }

    /// <summary>Random long sequences with cuts: pieces never overlap, never exceed the maximum, and cut pieces continue back to back.</summary>
    [Fact]
    public void RandomSequencesKeepTheInvariants()
    {
        var rng = new Random(5);
        var settings = new VadSettings { MaxUtteranceMs = 800 };
        var segmenter = new UtteranceSegmenter(settings);
        for (int trial = 0; trial < 300; trial++)
        {
            var pattern = new char[200];
            bool speech = false;
            for (int i = 0; i < pattern.Length; i++)
            {
                if (rng.NextDouble() < 0.2) speech = !speech;
                pattern[i] = speech ? 'S' : '_';
            }
            List<Utterance> us = Segment(new string(pattern), settings, reuse: segmenter);
            for (int k = 0; k < us.Count; k++)
            {
                Utterance u = us[k];
                if (k > 0)
                    Assert.Equal(us[k - 1].Index + 1, u.Index);
                Assert.InRange(u.End - u.SpeechStart, 2 * Chunk, 12800);
                Assert.True(u.Start <= u.SpeechStart && u.End <= u.DecidedAt);
                if (k > 0)
                {
                    Assert.True(us[k - 1].End <= u.SpeechStart);
                    if (us[k - 1].WasCut && u.SpeechStart == us[k - 1].End)
                        Assert.Equal(u.SpeechStart, u.Start);
                }
            }
        }
    }
}
