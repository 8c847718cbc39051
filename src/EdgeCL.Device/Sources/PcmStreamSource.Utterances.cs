using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using EdgeCL.Device.Audio;
using EdgeCL.Onnx.Audio;

namespace EdgeCL.Device.Sources;

/// <summary>From hops to samples: the VAD's utterances, the clip around each one, and its embedding.</summary>
public sealed partial class PcmStreamSource
{
    /// <summary>An utterance the VAD has decided: where its clip is centred, or why it is not embedded.</summary>
    private readonly record struct Pending(Utterance Utterance, SpeechTiming Timing, long Centre, string? NotAWord, long Decided);

    private bool ProcessHop(ChannelWriter<InputSample> output, CancellationToken ct)
    {
        float p = _vad.Process(_hop);
        if (_segmenter.Push(_hop, p, out Utterance u))
            Decide(u);
        return Drain(output, ct, sessionEnded: false);
    }

    /// <summary>Ends a stream session: flushes an open utterance, embeds what waits for audio that will not come, resets.</summary>
    private bool FinishSession(ChannelWriter<InputSample> output, CancellationToken ct)
    {
        if (_segmenter.Flush(out Utterance u))
            Decide(u);
        bool open = Drain(output, ct, sessionEnded: true);
        _sessionOffset += _segmenter.SamplesPushed;
        _pending.Clear();
        _previousWasTalk = false;
        _segmenter.Reset();
        _vad.Reset();
        return open;
    }

    private void Decide(in Utterance u)
    {
        SpeechTiming timing = Timing(u) with { FollowsTalk = _previousWasTalk };
        string? notAWord = _notAWord?.Invoke(timing);
        _previousWasTalk = notAWord is not null;
        long centre = notAWord is null ? PlacementCentre(u) : u.SpeechCentre;
        _pending.Enqueue(new Pending(u, timing, centre, notAWord, Stopwatch.GetTimestamp()));
    }

    /// <summary>Where the utterance's 1.5 s clip is centred: as EmbedPcm places a file's sound (the energy centroid of
    /// the utterance's samples, pre-roll included) when the backbone places speech, else the VAD's speech centre.</summary>
    private long PlacementCentre(in Utterance u)
    {
        if (_utterance is null)
            return u.SpeechCentre;
        int length = _segmenter.CopySamples(u, _utterance);
        return u.Start + SpeechPlacement.ActiveCentre(_utterance.AsSpan(0, length));
    }

    // The foreground speech's timing: speech well below the utterance's loudest part (a television) is background.
    private static SpeechTiming Timing(in Utterance u) => new(
        (u.ForegroundEnd - u.ForegroundStart) * 1000.0 / SampleRate,
        u.QuietBefore == long.MaxValue ? double.PositiveInfinity : u.QuietBefore * 1000.0 / SampleRate,
        u.ForegroundCut);

    /// <summary>Writes the decided utterances in order; without early_embed one waits until the part of its clip that reaches
    /// the embedding was heard (or the session ended: the rest is silence, as EmbedPcm pads a short file).</summary>
    private bool Drain(ChannelWriter<InputSample> output, CancellationToken ct, bool sessionEnded)
    {
        while (_pending.Count > 0)
        {
            Pending next = _pending.Peek();
            long clipStart = next.Centre - _clip.Length / 2;
            float[]? embedding = null;
            if (next.NotAWord is null)
            {
                if (!_earlyEmbed && !sessionEnded && _segmenter.SamplesPushed < clipStart + _backbone.SamplesUsed)
                    return true;
                // Unheard samples are zeros, which EmbedPcm's dither turns into the silence it pads a short clip with.
                _segmenter.CopyRange(clipStart, _clip);
                embedding = new float[_backbone.Space.Dimension];
                _backbone.EmbedPcm(_clip, embedding);
            }
            _pending.Dequeue();
            Utterance u = next.Utterance;
            string origin = string.Create(CultureInfo.InvariantCulture,
                $"utterance {u.Index} at {(_sessionOffset + u.SpeechStart) / (double)SampleRate:0.00}-{(_sessionOffset + u.End) / (double)SampleRate:0.00} s");
            var sample = new InputSample
            {
                Source = Name,
                Origin = origin,
                Embedding = embedding,
                NotAWord = next.NotAWord,
                Label = _settings.Label,
                Speech = next.Timing,
                CompletedTimestamp = next.Decided,
            };
            Utterances++;
            try
            {
                while (!output.TryWrite(sample))
                    if (!output.WaitToWriteAsync(ct).AsTask().GetAwaiter().GetResult())
                        return false; // the agent completed the channel: stop
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
        return true;
    }
}
