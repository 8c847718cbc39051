namespace EdgeCL.Device.Config;

/// <summary>
/// Everything <c>edgecl run</c> needs, read from <c>device.json</c> (snake_case keys; unknown keys are errors, so a typo
/// never silently falls back to a default). Relative paths are relative to the config file's folder.
/// </summary>
/// <remarks>The README's "Device agent" section documents every key with an example; <c>device/*.json</c> are complete examples.</remarks>
public sealed class DeviceConfig
{
    /// <summary>Config format version; 1.</summary>
    public int Version { get; init; } = 1;

    /// <summary>This device's id ([A-Za-z0-9._-]): MQTT client id and the device level of its topics.</summary>
    public string? DeviceId { get; init; }

    /// <summary>The fleet (first topic level after <c>edgecl/v1</c>).</summary>
    public string Fleet { get; init; } = "default";

    /// <summary>Backbone name in the models folder (e.g. <c>speech</c>, <c>digits</c>) or a path to a backbone.json / .onnx.</summary>
    public string? Backbone { get; init; }

    /// <summary>The models folder; default <c>$EDGECL_MODELS</c> or the <c>models/</c> folder found upwards from the binary.</summary>
    public string? ModelsRoot { get; init; }

    /// <summary>Execution-provider chain, best first, e.g. <c>tensorrt,cuda,cpu</c>; CPU is always the last resort.</summary>
    public string Providers { get; init; } = "cpu";

    /// <summary>ONNX Runtime intra-op threads; 0 lets ORT choose.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Folder of the device's durable state: state.db (SQLite), adaptation.ckpt, status.json, device-key.pem.</summary>
    public string? StateDir { get; init; }

    /// <summary>The classifier head and its test-time adaptation.</summary>
    public LearnerSettings Learner { get; init; } = new();

    /// <summary>When a prediction counts as recognised.</summary>
    public RecognitionSettings Recognition { get; init; } = new();

    /// <summary>How teaching works (button, <c>teach</c> command).</summary>
    public TeachSettings Teach { get; init; } = new();

    /// <summary>Fleet sync; absent = offline (learning still works and is stored).</summary>
    public SyncSettings? Sync { get; init; }

    /// <summary>Where samples come from; at least one.</summary>
    public IReadOnlyList<SourceSettings> Sources { get; init; } = [];

    /// <summary>Teach button and status LEDs; absent = no GPIO.</summary>
    public GpioSettings? Gpio { get; init; }

    /// <summary>Health reporting.</summary>
    public StatusSettings Status { get; init; } = new();
}

/// <summary>The classifier head (a learner from the registry, e.g. <c>ncm-test-centred</c>) and its checkpoints.</summary>
public sealed class LearnerSettings
{
    /// <summary>Registered learner name (<c>edgecl eval --list-methods</c>).</summary>
    public string Method { get; init; } = "ncm-test-centred";

    /// <summary>Learner parameters as <c>"name": "value"</c> strings (the same keys as <c>edgecl eval --param</c>).</summary>
    public IReadOnlyDictionary<string, string>? Parameters { get; init; }

    /// <summary>Adapt on unlabelled samples (test-time adaptation); false = predict only.</summary>
    public bool Adapt { get; init; } = true;

    /// <summary>Seconds between checkpoints of the adaptation state; 0 = only at a clean stop.</summary>
    public double CheckpointSeconds { get; init; } = 60;
}

/// <summary>When a prediction counts as recognised.</summary>
public sealed class RecognitionSettings
{
    /// <summary>Predictions with a softmax confidence below this are reported as unknown (0 = always the nearest class).</summary>
    public float MinConfidence { get; init; }
}

/// <summary>Teaching: which class a button hold teaches, and how many examples it takes.</summary>
public sealed class TeachSettings
{
    /// <summary>The class a button hold teaches until a <c>teach</c> command names another.</summary>
    public string? Label { get; init; }

    /// <summary>Examples taken per teaching session.</summary>
    public int Shots { get; init; } = 5;

    /// <summary>A teaching session ends after this many seconds even when short of shots.</summary>
    public double TimeoutSeconds { get; init; } = 30;
}

/// <summary>The broker and the keys of fleet sync.</summary>
public sealed class SyncSettings
{
    /// <summary><c>embedded</c> (an in-process broker on <see cref="EmbeddedPort"/>), or <c>mqtt://host:port</c> / <c>mqtts://host:port</c>.</summary>
    public string Broker { get; init; } = "embedded";

    /// <summary>Port of the embedded broker (loopback unless <see cref="EmbeddedListenAny"/>).</summary>
    public int EmbeddedPort { get; init; } = 1883;

    /// <summary>Let the embedded broker listen on every interface (for other devices of a site).</summary>
    public bool EmbeddedListenAny { get; init; }

    /// <summary>
    /// Users of the embedded broker (<c>name:password[:operator]</c> per line, as <c>edgecl broker --users</c>); absent = the agent
    /// creates <c>state_dir/broker/users</c> with a random password for itself (a one-device broker on loopback).
    /// </summary>
    public string? EmbeddedUsersFile { get; init; }

    /// <summary>Broker user name (must equal the device id when set).</summary>
    public string? User { get; init; }

    /// <summary>File holding the broker password (one line); keeps secrets out of the config.</summary>
    public string? PasswordFile { get; init; }

    /// <summary>CA certificate (PEM) for mqtts.</summary>
    public string? CaFile { get; init; }

    /// <summary>Client certificate (PEM) for mutual TLS.</summary>
    public string? CertFile { get; init; }

    /// <summary>Client key (PEM) for <see cref="CertFile"/>.</summary>
    public string? KeyFile { get; init; }

    /// <summary>This device's entry-signing key (PEM, ECDSA P-256); created in the state folder when absent.</summary>
    public string? SigningKey { get; init; }

    /// <summary>Folder of peers' public keys (<c>&lt;device-id&gt;.pem</c>); absent = accept any well-formed entry of the space (unsigned fleets, tests).</summary>
    public string? TrustDir { get; init; }
}

/// <summary>One input source. <see cref="Type"/> decides which other keys apply.</summary>
public sealed class SourceSettings
{
    /// <summary><c>files</c>, <c>folder</c>, <c>pcm</c>, <c>image-folder</c>, <c>raw-frames</c> or <c>camera</c>.</summary>
    public string? Type { get; init; }

    /// <summary>The file, folder, FIFO, or <c>-</c> for stdin (pcm, raw-frames).</summary>
    public string? Path { get; init; }

    /// <summary>Files for <c>files</c>.</summary>
    public IReadOnlyList<string>? Paths { get; init; }

    /// <summary>Every sample of this source is a labelled example of this class (teaching through files).</summary>
    public string? Label { get; init; }

    /// <summary><c>folder</c>/<c>image-folder</c>: a file in a sub-folder is an example of the class named by the sub-folder.</summary>
    public bool LabelsFromFolders { get; init; }

    /// <summary><c>folder</c>/<c>image-folder</c>: how often to look for new files, in milliseconds.</summary>
    public int PollMs { get; init; } = 250;

    /// <summary><c>folder</c>/<c>image-folder</c>: move handled files to this folder (default: delete them); relative to the watched folder.</summary>
    public string? DoneDir { get; init; }

    /// <summary><c>pcm</c>: voice-activity detection that cuts the stream into utterances.</summary>
    public VadSettings Vad { get; init; } = new();

    /// <summary><c>raw-frames</c>/<c>camera</c>: frame width in pixels.</summary>
    public int Width { get; init; }

    /// <summary><c>raw-frames</c>/<c>camera</c>: frame height in pixels.</summary>
    public int Height { get; init; }

    /// <summary><c>raw-frames</c>: <c>gray8</c>, <c>rgb24</c> or <c>bgr24</c>.</summary>
    public string PixelFormat { get; init; } = "gray8";

    /// <summary><c>raw-frames</c>/<c>camera</c>: embed every n-th frame (1 = all).</summary>
    public int EveryNthFrame { get; init; } = 1;

    /// <summary><c>pcm</c>/<c>raw-frames</c>: reopen the FIFO after it closes (the writer went away) instead of ending the source.</summary>
    public bool Reopen { get; init; } = true;
}

/// <summary>Voice-activity detection with Silero VAD (v4, from the speech model package).</summary>
public sealed class VadSettings
{
    /// <summary>The Silero VAD model; default <c>silero_vad.onnx</c> beside the speech backbone.</summary>
    public string? Model { get; init; }

    /// <summary>Speech probability above which a 80 ms chunk counts as speech.</summary>
    public float Threshold { get; init; } = 0.5f;

    /// <summary>Shorter speech bursts are ignored (clicks, coughs).</summary>
    public int MinSpeechMs { get; init; } = 160;

    /// <summary>Silence that ends an utterance.</summary>
    public int MinSilenceMs { get; init; } = 240;

    /// <summary>Longer speech is cut here.</summary>
    public int MaxUtteranceMs { get; init; } = 1500;

    /// <summary>Audio kept before the detected start.</summary>
    public int PreRollMs { get; init; } = 160;
}

/// <summary>GPIO: a teach button and status LEDs (BCM/line numbers of <see cref="Chip"/>).</summary>
public sealed class GpioSettings
{
    /// <summary><c>auto</c> (libgpiod, else sysfs), <c>libgpiod</c>, <c>sysfs</c>, or <c>simulated</c> (laptops, tests).</summary>
    public string Driver { get; init; } = "auto";

    /// <summary>GPIO chip number for libgpiod (Pi 4: 0; Pi 5: 4; Jetson Orin: see device/pins.md).</summary>
    public int Chip { get; init; }

    /// <summary>The teach button; absent = none.</summary>
    public ButtonSettings? TeachButton { get; init; }

    /// <summary>Status LED pins; each optional.</summary>
    public LedSettings? Leds { get; init; }
}

/// <summary>A push button.</summary>
public sealed class ButtonSettings
{
    /// <summary>Line number.</summary>
    public int Pin { get; init; } = -1;

    /// <summary>Pressed reads low (button to ground with a pull-up): the usual wiring.</summary>
    public bool ActiveLow { get; init; } = true;

    /// <summary>Edges closer than this are bounce.</summary>
    public int DebounceMs { get; init; } = 30;

    /// <summary>Hold at least this long to start teaching.</summary>
    public int HoldMs { get; init; } = 500;
}

/// <summary>Status LED pins (each optional).</summary>
public sealed class LedSettings
{
    /// <summary>On while teaching.</summary>
    public int? Learning { get; init; }

    /// <summary>On while test-time adaptation is active and healthy.</summary>
    public int? Adapting { get; init; }

    /// <summary>On while connected to the broker with nothing left to send.</summary>
    public int? Synced { get; init; }

    /// <summary>On after an error until the next success.</summary>
    public int? Error { get; init; }

    /// <summary>LEDs wired to light when the pin is low.</summary>
    public bool ActiveLow { get; init; }
}

/// <summary>Health reporting: the retained status topic and the local status file.</summary>
public sealed class StatusSettings
{
    /// <summary>Seconds between health publications and status-file writes.</summary>
    public double IntervalSeconds { get; init; } = 10;
}
