using System.Diagnostics;
using EdgeCL.Core.Learning.OpenSet;
using EdgeCL.Core.Memory;
using EdgeCL.Device.Sources;

namespace EdgeCL.Device.Agent;

/// <summary>Recognition and its corrections: the open-set verdict decides what the device acts on, and a false alarm
/// teaches the last accepted sample as the background class through the same durable path as any teaching.</summary>
public sealed partial class DeviceAgent
{
    private float[]? _lastAccepted;      // the last accepted sample's embedding, kept for a false-alarm correction
    private string? _lastAcceptedLabel;
    private string _lastAcceptedOrigin = string.Empty;

    /// <summary>Marks the last accepted recognition as a false alarm: its sample is taught as the negative class of the
    /// label it was answered with (<c>_background:&lt;label&gt;</c>, synced like any class; see <see cref="ReservedLabels"/>),
    /// so similar material is answered "unknown" from then on.</summary>
    /// <param name="trigger">Who asked (command, button, web, api): logged.</param>
    public void FalseAlarm(string trigger = "api") => Enqueue(() =>
    {
        if (_lastAccepted is not { } embedding || _lastAcceptedLabel is not { } label)
        {
            AgentLog.FalseAlarmWithoutRecognition(_logger, trigger);
            return;
        }
        AgentLog.FalseAlarm(_logger, trigger, label, _lastAcceptedOrigin);
        _lastAccepted = null;
        _lastAcceptedLabel = null;
        // Into the sample queue with a label: learned durably and synced exactly like a taught example.
        _samples.Writer.TryWrite(new InputSample
        {
            Source = "agent",
            Origin = $"false alarm ({trigger}) of '{label}' at {_lastAcceptedOrigin}",
            Label = ReservedLabels.BackgroundFor(label),
            Embedding = embedding,
        });
    });

    // The long press: the teaching its first hold started has taken nothing yet, so it is cancelled, then the correction.
    private void OnNotThisHeld(object? sender, EventArgs e)
    {
        Enqueue(() =>
        {
            if (_teach is { Learned: 0 })
                EndTeaching("long press: not this");
        });
        FalseAlarm("button");
    }

    // Speech that never pauses (a television, other people talking close by) makes every utterance "long speech", and the
    // isolated-word rule then answers all of it unknown, keywords said over it included (README, "Isolated words").
    private double _continuousSpeechMs;
    private long _lastContinuousSpeechWarning;

    private void NoteContinuousSpeech(string? notAWord, SpeechTiming timing)
    {
        if (notAWord != "long-speech")
        {
            _continuousSpeechMs = 0;
            return;
        }
        _continuousSpeechMs += timing.SpeechMs;
        if (_continuousSpeechMs < ContinuousSpeechWarningMs
            || (_lastContinuousSpeechWarning != 0 && Stopwatch.GetElapsedTime(_lastContinuousSpeechWarning) < TimeSpan.FromMinutes(10)))
            return;
        _lastContinuousSpeechWarning = Stopwatch.GetTimestamp();
        AgentLog.ContinuousSpeech(_logger, _continuousSpeechMs / 1000);
    }

    private const double ContinuousSpeechWarningMs = 60_000;

    /// <summary>The isolated-word rule as a live audio source asks it, on its own thread, before it embeds an utterance:
    /// never while a teach session is open, since what is said then is taught.</summary>
    internal string? NotAWordBeforeEmbedding(SpeechTiming timing) =>
        Volatile.Read(ref _teach) is null ? IsolatedWordGate.Reject(timing, _config.Recognition) : null;

    private void Recognise(InputSample sample, ReadOnlySpan<float> embedding)
    {
        if (_headDirty)
        {
            _headDirty = false;
            bool kept = _head.Rebuild(_device.FleetPrototypes());
            AgentLog.HeadRebuilt(_logger, _head.ClassCount, kept);
        }
        if (_head.ClassCount == 0)
        {
            if (Stopwatch.GetElapsedTime(_lastNoClassesLog) > TimeSpan.FromSeconds(30))
            {
                _lastNoClassesLog = Stopwatch.GetTimestamp();
                AgentLog.NoClasses(_logger, sample.Origin);
            }
            CountRejected("no-classes");
            Complete(sample, new AgentResult(AgentOutcome.Rejected, sample.Source, sample.Origin, null, null, LatencyMs(sample), "no classes yet"), handled: true);
            return;
        }
        string? notAWord = sample.NotAWord ?? IsolatedWordGate.Reject(sample.Speech, _config.Recognition);
        if (sample.Speech is { } timing)
            NoteContinuousSpeech(notAWord, timing);
        if (notAWord is not null)
        {
            // Part of talk, not a keyword: answered unknown, and the learner only looks (Predict adapts nothing). The pcm
            // source does not even embed such an utterance (sample.NotAWord); one it embedded is looked at, for the log.
            Prediction? nearest = embedding.IsEmpty ? null : _head.Learner.Predict(embedding);
            Interlocked.Increment(ref _recognised);
            CountRejected(notAWord);
            if (nearest is { } n)
                AgentLog.NotAWord(_logger, n.Label ?? "-", n.Score, n.Confidence, notAWord, sample.Source, sample.Origin);
            else
                AgentLog.NotAWordUnembedded(_logger, notAWord, sample.Source, sample.Origin);
            Complete(sample, new AgentResult(AgentOutcome.Unknown, sample.Source, sample.Origin, null, nearest, LatencyMs(sample), notAWord), handled: true);
            return;
        }
        // The learner takes the open-set verdict and never adapts to a rejected sample.
        Prediction prediction = _config.Learner.Adapt ? _head.Learner.Observe(embedding) : _head.Learner.Predict(embedding);
        double latency = LatencyMs(sample);
        Interlocked.Increment(ref _recognised);
        bool known = prediction.Accepted && prediction.Confidence >= _config.Recognition.MinConfidence;
        if (known)
        {
            AgentLog.Recognised(_logger, prediction.Label, prediction.Score, prediction.Margin, prediction.Confidence, latency, sample.Source, sample.Origin);
            _lastAccepted ??= new float[embedding.Length];
            embedding.CopyTo(_lastAccepted);
            _lastAcceptedLabel = prediction.Label;
            _lastAcceptedOrigin = sample.Origin;
        }
        else
        {
            CountRejected("unknown");
            AgentLog.Unknown(_logger, prediction.Label ?? "-", prediction.Score, prediction.Confidence, sample.Source, sample.Origin);
        }
        Complete(sample, new AgentResult(known ? AgentOutcome.Recognised : AgentOutcome.Unknown, sample.Source, sample.Origin, known ? prediction.Label : null, prediction, latency), handled: true);
    }
}
