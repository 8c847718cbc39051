using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using EdgeCL.Device.Audio;
using EdgeCL.Onnx.Audio;

namespace EdgeCL.Device.Sources;

/// <summary>From hops to samples: the VAD's utterances, where each one's clip is centred, and their embeddings.</summary>
public sealed partial class PcmStreamSource
{
    private bool ProcessHop(ChannelWriter<InputSample> output, CancellationToken ct)
    {
        _embedder.Push(_hop);
        float p = _vad.Process(_hop);
        if (_segmenter.Push(_hop, p, out Utterance u))
            _pending.Enqueue((u, PlacementCentre(u), Stopwatch.GetTimestamp()));
        return Drain(output, ct);
    }

    /// <summary>Ends a stream session: flushes an open utterance, pads with silence until its windows exist, resets.</summary>
    private bool FinishSession(ChannelWriter<InputSample> output, CancellationToken ct)
    {
        if (_segmenter.Flush(out Utterance u))
            _pending.Enqueue((u, PlacementCentre(u), Stopwatch.GetTimestamp()));
        bool open = true;
        while (open && _pending.Count > 0)
        {
            // Silence (the embedder adds the dither) is what EmbedPcm pads a short clip with; early_embed needs none.
            while (_clip is null && _embedder.SamplesPushed < _embedder.SamplesNeeded(_pending.Peek().Centre))
                _embedder.Push(_silence);
            open = Drain(output, ct);
        }
        _sessionOffset += _segmenter.SamplesPushed;
        _pending.Clear();
        _embedder.Reset();
        _segmenter.Reset();
        _vad.Reset();
        return open;
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

    private bool Drain(ChannelWriter<InputSample> output, CancellationToken ct)
    {
        while (_pending.Count > 0)
        {
            (Utterance u, long centre, long decided) = _pending.Peek();
            var embedding = new float[_embedder.Dimension];
            if (!_embedder.TryEmbed(centre, embedding))
            {
                if (_clip is null)
                    return true;
                // early_embed: the 1.5 s clip centred on the speech from the audio so far; the part not heard yet is
                // zeros, which EmbedPcm's dither turns into the silence it pads a short clip with.
                _segmenter.CopyRange(centre - _clip.Length / 2, _clip);
                _backbone.EmbedPcm(_clip, embedding);
            }
            _pending.Dequeue();
            string origin = string.Create(CultureInfo.InvariantCulture,
                $"utterance {u.Index} at {(_sessionOffset + u.SpeechStart) / (double)SampleRate:0.00}-{(_sessionOffset + u.End) / (double)SampleRate:0.00} s");
            var sample = new InputSample
            {
                Source = Name,
                Origin = origin,
                Embedding = embedding,
                Label = _settings.Label,
                Speech = Timing(u),
                CompletedTimestamp = decided,
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
