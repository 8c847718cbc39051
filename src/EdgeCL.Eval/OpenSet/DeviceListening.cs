using System.Threading.Channels;
using EdgeCL.Device.Agent;
using EdgeCL.Device.Audio;
using EdgeCL.Device.Config;
using EdgeCL.Device.Sources;
using EdgeCL.Eval.Data;
using EdgeCL.Onnx.Audio;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeCL.Eval.OpenSet;

/// <summary>
/// Continuous untaught audio heard as the device hears it: the agent's own <see cref="PcmStreamSource"/> (Silero VAD, the
/// utterance segmenter, the isolated-word rule asked before embedding, the clip cut around each candidate word) fed the
/// file as raw PCM, with the VAD and recognition settings of <see cref="OpenSetSettings"/> (a device config's, or the
/// shipped defaults). Each utterance is one sample and, when accepted, one
/// false activation, as on a device; talk the rule rejects reaches no learner. The old sliding windows (every half
/// clip, no VAD) measure the classifier alone and stay available as <c>--talk windows</c>.
/// </summary>
internal sealed class DeviceListening : IDisposable
{
    /// <summary>A file in which the VAD heard no speech at all: one rejected sample that carries the file's time.</summary>
    public const string NoSpeech = "no-speech";

    private readonly OpenSetSettings _settings;
    private readonly string _backboneDirectory;
    private readonly string _scratch = Directory.CreateTempSubdirectory("edgecl-eval-talk-").FullName;

    private DeviceListening(OpenSetSettings settings, string backboneDirectory)
    {
        _settings = settings;
        _backboneDirectory = backboneDirectory;
    }

    /// <summary>The device's front end for the speech backbone of <paramref name="settings"/>.</summary>
    /// <exception cref="ModelLoadException">The VAD model is not beside the backbone's manifest.</exception>
    public static DeviceListening Open(OpenSetSettings settings)
    {
        string directory = Path.GetDirectoryName(BackboneCatalog.ResolveManifestPath(settings.Backbone, settings.ModelsRoot))!;
        if (!File.Exists(Path.Combine(directory, "silero_vad.onnx")))
            throw new ModelLoadException($"--talk device needs silero_vad.onnx beside the speech backbone in {directory} (models/speech/fetch.sh fetches it), or use --talk windows.");
        return new DeviceListening(settings, directory);
    }

    /// <summary>What the device answers for one continuous file (already shifted): its utterances in order.</summary>
    public List<StreamEvent> Listen(float[] pcm, DatasetItem item, int conditionIndex)
    {
        string raw = Path.Combine(_scratch, "talk.pcm");
        var bytes = new byte[2 * pcm.Length];
        WavWriter.WriteSamples16(pcm, bytes);
        File.WriteAllBytes(raw, bytes);
        var context = new SourceContext
        {
            ConfigDirectory = _scratch,
            OpenBackbone = () => BackboneCatalog.Open(_settings.Backbone, _settings.Sessions, null, _settings.ModelsRoot),
            BackboneDirectory = _backboneDirectory,
            SessionOptions = _settings.Sessions,
            NotAWord = timing => IsolatedWordGate.Reject(timing, _settings.Recognition),
            LoggerFactory = NullLoggerFactory.Instance,
        };
        var heard = Channel.CreateUnbounded<InputSample>();
        var source = new PcmStreamSource(new SourceSettings { Type = "pcm", Path = raw, Reopen = false, Vad = _settings.Vad }, context);
        try
        {
            source.RunAsync(heard.Writer, CancellationToken.None).GetAwaiter().GetResult();
        }
        finally
        {
            source.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        heard.Writer.TryComplete();
        var samples = new List<InputSample>();
        while (heard.Reader.TryRead(out InputSample? s))
            samples.Add(s);
        double seconds = pcm.Length / (double)SileroVad.SampleRate;
        if (samples.Count == 0)
            return [new StreamEvent(conditionIndex, false, Core.Learning.OpenSet.ReservedLabels.Unknown, item.Label, item.Path, true, seconds, null, NoSpeech, true)];
        return samples.Select(s => new StreamEvent(conditionIndex, false, Core.Learning.OpenSet.ReservedLabels.Unknown, item.Label, item.Path, true,
            seconds / samples.Count, s.Embedding, s.NotAWord, true)).ToList();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
