using EdgeCL.Onnx.Backbones;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Sources;

/// <summary>What a source may need from the agent.</summary>
public sealed class SourceContext
{
    /// <summary>Folder of the config file; relative paths in source settings are relative to it.</summary>
    public required string ConfigDirectory { get; init; }

    /// <summary>Opens a fresh backbone instance (same model, same space) for a source that embeds on its own thread.</summary>
    public required Func<IEmbeddingBackbone> OpenBackbone { get; init; }

    /// <summary>Folder of the backbone's manifest (where e.g. <c>silero_vad.onnx</c> sits beside the speech models); null for a bare .onnx.</summary>
    public string? BackboneDirectory { get; init; }

    /// <summary>ONNX Runtime settings for models a source opens itself (VAD).</summary>
    public required EdgeCL.Onnx.Sessions.SessionOptionsSpec SessionOptions { get; init; }

    /// <summary>Asked by a live audio source for each utterance before it embeds it: the reason (a counter name) when the
    /// agent would answer it "unknown" for its timing alone (the isolated-word rule), so the source skips the backbone;
    /// null to embed it. Null (the default) embeds every utterance.</summary>
    public Func<SpeechTiming, string?>? NotAWord { get; init; }

    /// <summary>Diagnostics.</summary>
    public required ILoggerFactory LoggerFactory { get; init; }

    /// <summary>Resolves a path from the config against <see cref="ConfigDirectory"/>; <c>-</c> (stdin) stays as it is.</summary>
    public string Resolve(string path) => path == "-" ? path : Path.GetFullPath(path, ConfigDirectory);
}
