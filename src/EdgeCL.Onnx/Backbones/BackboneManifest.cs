using System.Text.Json.Serialization;

namespace EdgeCL.Onnx.Backbones;

/// <summary>
/// <c>models/&lt;name&gt;/backbone.json</c>: which files make a backbone, their checksums, and the front end.
/// </summary>
public sealed record BackboneManifest
{
    /// <summary>Short name used on the command line (<c>--backbone speech</c>).</summary>
    public required string Name { get; init; }

    /// <summary><c>image</c>, <c>speech-openwakeword</c> or <c>tensor</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>One line for <c>model inspect</c> and the CLI's listing.</summary>
    public string? Description { get; init; }

    /// <summary>Model files with their SHA-256; verified before loading.</summary>
    public required IReadOnlyList<BackboneFile> Files { get; init; }

    /// <summary>The embedding model (for image/tensor kinds: the only model).</summary>
    public required string Model { get; init; }

    /// <summary>Input name; null takes the model's metadata or its only input.</summary>
    public string? Input { get; init; }

    /// <summary>Embedding output name; null takes the model's metadata or its first output.</summary>
    public string? Output { get; init; }

    /// <summary>Embedding length.</summary>
    public int EmbeddingDimension { get; init; }

    /// <summary>Script that fetches the files when they are not committed (relative to the manifest).</summary>
    public string? Fetch { get; init; }

    /// <summary>Image front end settings (kind <c>image</c>).</summary>
    public ImagePreprocessing? Image { get; init; }

    /// <summary>Audio front end settings (kind <c>speech-openwakeword</c>).</summary>
    public SpeechPreprocessing? Speech { get; init; }
}

/// <summary>A model file and its checksum.</summary>
public sealed record BackboneFile
{
    /// <summary>Path relative to the manifest's folder.</summary>
    public required string Path { get; init; }

    /// <summary>Lower-case hex SHA-256 of the file.</summary>
    public required string Sha256 { get; init; }
}

/// <summary>Image front end: decode, grey/RGB, resize, scale, normalise, NCHW.</summary>
public sealed record ImagePreprocessing
{
    /// <summary>Model input width in pixels.</summary>
    public int Width { get; init; }

    /// <summary>Model input height in pixels.</summary>
    public int Height { get; init; }

    /// <summary>1 (grey) or 3 (RGB).</summary>
    public int Channels { get; init; } = 1;

    /// <summary>Multiplier applied to 0..255 pixel values first (1/255 maps to [0, 1]).</summary>
    public float Scale { get; init; } = 1f / 255f;

    /// <summary>Per-channel mean subtracted after scaling.</summary>
    public IReadOnlyList<float> Mean { get; init; } = [0f];

    /// <summary>Per-channel standard deviation divided after the mean.</summary>
    public IReadOnlyList<float> Std { get; init; } = [1f];
}

/// <summary>openWakeWord speech front end (feasibility.md §2).</summary>
public sealed record SpeechPreprocessing
{
    /// <summary>The melspectrogram model file.</summary>
    public required string MelModel { get; init; }

    /// <summary>Sample rate the models expect.</summary>
    public int SampleRate { get; init; } = 16000;

    /// <summary>Clips are centred in a buffer of this length (padding short clips, cropping long ones centrally).</summary>
    public float ClipSeconds { get; init; } = 1.5f;

    /// <summary>Deterministic white dither, in int16 LSB, that keeps padding off the mel floor.</summary>
    public float DitherLsb { get; init; } = 2f;

    /// <summary>What is centred in the buffer: <c>clip</c> (the file's middle, the openWakeWord reference) or
    /// <c>speech</c> (the middle of the sound's active region; see SpeechPlacement).</summary>
    public string Placement { get; init; } = PlacementClip;

    /// <summary><see cref="Placement"/> value: centre the file.</summary>
    public const string PlacementClip = "clip";

    /// <summary><see cref="Placement"/> value: centre the sound.</summary>
    public const string PlacementSpeech = "speech";

    /// <summary>Mel frames per embedding window.</summary>
    public int WindowFrames { get; init; } = 76;

    /// <summary>Mel frames between windows.</summary>
    public int StepFrames { get; init; } = 8;

    /// <summary>How the window embeddings become one: 1 = the mean of all windows (the openWakeWord reference); S > 1 =
    /// the windows split into S consecutive groups, each averaged, concatenated in time order (embeddingDimension is then
    /// S × the model's per-window size). Keeping the order tells "four" from "forty" (README, open-set recognition).</summary>
    public int PoolSegments { get; init; } = 1;
}

/// <summary>Source-generated JSON for manifests (no reflection: trimming and AOT safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, WriteIndented = true)]
[JsonSerializable(typeof(BackboneManifest))]
public sealed partial class BackboneJsonContext : JsonSerializerContext;
