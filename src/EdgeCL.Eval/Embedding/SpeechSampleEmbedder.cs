using System.Diagnostics;
using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Vectors;
using EdgeCL.Eval.Data;
using EdgeCL.Eval.Shifts;
using EdgeCL.Onnx.Audio;
using EdgeCL.Onnx.Backbones;

namespace EdgeCL.Eval.Embedding;

/// <summary>WAV → (audio shift on int16-scale PCM) → <see cref="SpeechBackbone.EmbedPcm"/>.</summary>
/// <remarks>Front end = reading, resampling and shifting; backbone = melspectrogram + embedding model. Not thread-safe.</remarks>
public sealed class SpeechSampleEmbedder : ISampleEmbedder, IBabbleSource
{
    private readonly SpeechBackbone _backbone;
    private readonly IReadOnlyList<DatasetItem> _items;
    private readonly long _runSeed;
    private readonly Dictionary<int, float[]> _babbleClips = [];

    /// <summary>Creates the embedder; <paramref name="items"/> doubles as the babble pool.</summary>
    public SpeechSampleEmbedder(SpeechBackbone backbone, IReadOnlyList<DatasetItem> items, long runSeed)
    {
        _backbone = backbone;
        _items = items;
        _runSeed = runSeed;
    }

    /// <inheritdoc/>
    public EmbeddingSpace Space => _backbone.Space;

    /// <inheritdoc/>
    public LatencyRecorder FrontEnd { get; } = new();

    /// <inheritdoc/>
    public LatencyRecorder Backbone { get; } = new();

    /// <inheritdoc/>
    int IBabbleSource.Count => _items.Count;

    /// <inheritdoc/>
    float[] IBabbleSource.Clip(int index)
    {
        if (!_babbleClips.TryGetValue(index, out float[]? clip))
            _babbleClips[index] = clip = WavReader.ReadMono(_items[index].Path, _backbone.SampleRate);
        return clip;
    }

    /// <inheritdoc/>
    public void Embed(DatasetItem item, int itemIndex, ShiftSpec shift, Span<float> destination)
    {
        long start = Stopwatch.GetTimestamp();
        float[] pcm = WavReader.ReadMono(item.Path, _backbone.SampleRate);
        if (!shift.IsClean)
        {
            var context = new AudioShiftContext(_backbone.SampleRate, _backbone.ClipSamples,
                DeterministicRandom.Derive(_runSeed, "shift:" + shift.DomainName + ":" + item.Key), _runSeed, this, itemIndex);
            pcm = AudioShifts.Apply(shift, pcm, context);
        }
        long mid = Stopwatch.GetTimestamp();
        _backbone.EmbedPcm(pcm, destination);
        long end = Stopwatch.GetTimestamp();
        FrontEnd.Add(Stopwatch.GetElapsedTime(start, mid).TotalMilliseconds);
        Backbone.Add(Stopwatch.GetElapsedTime(mid, end).TotalMilliseconds);
    }
}
