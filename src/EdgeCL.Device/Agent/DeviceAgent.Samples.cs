using System.Diagnostics;
using System.Globalization;
using EdgeCL.Core.Errors;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Vectors;
using EdgeCL.Device.Sources;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;
using EdgeCL.Storage.Errors;
using EdgeCL.Storage.Files;

namespace EdgeCL.Device.Agent;

/// <summary>One sample through the loop: embed, then learn (durably, through the fleet device) or recognise; rejections are counted with a reason.</summary>
public sealed partial class DeviceAgent
{
    private async Task HandleAsync(InputSample sample)
    {
        if (sample is { NotAWord: not null, Embedding: null })
        {
            // Talk the source did not embed (the isolated-word rule, asked before a teach session began): nothing to learn.
            Recognise(sample, ReadOnlySpan<float>.Empty);
            return;
        }
        ReadOnlySpan<float> embedding;
        try
        {
            embedding = Embed(sample);
            VectorKernels.EnsureValidEmbedding(embedding, _backbone.Space.Dimension);
        }
        catch (Exception ex) when (ex is InputFormatException or EmbeddingException or ModelLoadException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            string reason = ex switch { EmbeddingException => "invalid-embedding", ModelLoadException => "model", _ => "decode" };
            Reject(sample, reason, ErrorText.OneLine(ex));
            return;
        }
        string? label = sample.Label ?? _teach?.Label;
        if (label is not null)
            await LearnAsync(sample, label, embedding.ToArray()).ConfigureAwait(false);
        else
            Recognise(sample, embedding);
    }

    private ReadOnlySpan<float> Embed(InputSample sample)
    {
        if (sample.Embedding is { } given)
            return given;
        if (sample.FilePath is { } path)
            _backbone.EmbedFile(path, _embedding);
        else if (sample.Pcm is { } pcm)
        {
            if (_backbone is not SpeechBackbone speech)
                throw new InputFormatException($"{sample.Source} delivers audio but backbone '{_backbone.Name}' is not a speech backbone; pair audio sources with the speech backbone.");
            speech.EmbedPcm(pcm, _embedding);
        }
        else if (sample.Image is { } image)
        {
            if (_backbone is not ImageBackbone vision)
                throw new InputFormatException($"{sample.Source} delivers images but backbone '{_backbone.Name}' is not an image backbone; pair frame sources with an image backbone.");
            vision.EmbedImage(image, _embedding);
        }
        else
            throw new InputFormatException($"{sample.Source} delivered an empty sample.");
        return _embedding;
    }

    private async Task LearnAsync(InputSample sample, string label, float[] embedding)
    {
        FleetEntry? entry;
        try
        {
            string? exampleId = sample.FilePath is { } path ? ExampleId(path) : null;
            entry = exampleId is null
                ? await _device.LearnAsync(label, embedding).ConfigureAwait(false)
                : await _device.LearnOnceAsync(label, embedding, exampleId).ConfigureAwait(false);
        }
        catch (Exception ex) when (DiskSpace.IsDiskFull(ex))
        {
            Reject(sample, "store", $"{DiskSpace.Describe(_stateDir)}: not learned now, retried when space returns");
            PauseLearningForSpace(sample);
            return;
        }
        catch (Exception ex) when (ex is StateStoreException or ArgumentException or EmbeddingException)
        {
            Reject(sample, ex is StateStoreException ? "store" : "label", ErrorText.OneLine(ex));
            return;
        }
        _headDirty = true;
        if (entry is null)
        {
            AgentLog.Duplicate(_logger, label, sample.Origin);
            Complete(sample, new AgentResult(AgentOutcome.Duplicate, sample.Source, sample.Origin, label, null, LatencyMs(sample)), handled: true);
            return;
        }
        Interlocked.Increment(ref _learned);
        AgentLog.Learned(_logger, label, entry.Count, entry.Version, sample.Source, sample.Origin);
        KeepExemplar(sample, label, embedding);
        if (sample.Label is null && _teach is { } teach)
        {
            teach.CountOne();
            if (teach.Remaining <= 0)
                EndTeaching("shots taken");
        }
        Complete(sample, new AgentResult(AgentOutcome.Learned, sample.Source, sample.Origin, label, null, LatencyMs(sample)), handled: true);
    }

    private void Reject(InputSample sample, string reason, string detail)
    {
        CountRejected(reason);
        _lastError = $"{reason}: {detail}";
        _lastErrorTimestamp = Stopwatch.GetTimestamp();
        AgentLog.Rejected(_logger, reason, sample.Source, sample.Origin, detail);
        Complete(sample, new AgentResult(AgentOutcome.Rejected, sample.Source, sample.Origin, null, null, LatencyMs(sample), detail), handled: false);
    }

    private void CountRejected(string reason)
    {
        Interlocked.Increment(ref _rejectedTotal);
        lock (_rejected)
            _rejected[reason] = _rejected.GetValueOrDefault(reason) + 1;
    }

    private void Complete(InputSample sample, AgentResult result, bool handled)
    {
        try
        {
            sample.Handled?.Invoke(handled);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _lastError = ex.Message.Split('\n')[0];
        }
        Observe(result);
        _panel?.ShowResult(result);
        SampleHandled?.Invoke(this, result);
    }

    private static double LatencyMs(InputSample sample) =>
        sample.CompletedTimestamp == 0 ? 0 : Stopwatch.GetElapsedTime(sample.CompletedTimestamp).TotalMilliseconds;

    /// <summary>Identifies a file example across restarts: path, size and modification time (a new file with the same name is a new example).</summary>
    private static string? ExampleId(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
            return null;
        return string.Create(CultureInfo.InvariantCulture, $"file:{info.FullName}:{info.Length}:{info.LastWriteTimeUtc.Ticks}");
    }
}
