namespace EdgeCL.Device.Config;

/// <summary>
/// Everything <c>edgecl run</c> needs, read from <c>device.json</c> (snake_case keys; unknown keys are errors, so a typo
/// never silently falls back to a default). Relative paths are relative to the config file's folder.
/// </summary>
/// <remarks>Setters, not init: System.Text.Json's source generator sets every init-only property it does not find in the JSON to null, losing the defaults. The README's "Device agent" section documents every key with an example; <c>device/*.json</c> are complete examples.</remarks>
public sealed class DeviceConfig
{
    /// <summary>Config format version; 1.</summary>
    public int Version { get; set; } = 1;

    /// <summary>This device's id ([A-Za-z0-9._-]): MQTT client id and the device level of its topics.</summary>
    public string? DeviceId { get; set; }

    /// <summary>The fleet (first topic level after <c>edgecl/v1</c>).</summary>
    public string Fleet { get; set; } = "default";

    /// <summary>Backbone name in the models folder (e.g. <c>speech</c>, <c>digits</c>) or a path to a backbone.json / .onnx.</summary>
    public string? Backbone { get; set; }

    /// <summary>The models folder; default <c>$EDGECL_MODELS</c> or the <c>models/</c> folder found upwards from the binary.</summary>
    public string? ModelsRoot { get; set; }

    /// <summary>Execution-provider chain, best first, e.g. <c>tensorrt,cuda,cpu</c>; CPU is always the last resort.</summary>
    public string Providers { get; set; } = "cpu";

    /// <summary>ONNX Runtime intra-op threads; 0 lets ORT choose.</summary>
    public int Threads { get; set; } = 1;

    /// <summary>Folder of the device's durable state: state.db (SQLite), adaptation.ckpt, status.json, device-key.pem.</summary>
    public string? StateDir { get; set; }

    /// <summary>The classifier head and its test-time adaptation.</summary>
    public LearnerSettings Learner { get; set; } = new();

    /// <summary>When a prediction counts as recognised.</summary>
    public RecognitionSettings Recognition { get; set; } = new();

    /// <summary>How teaching works (button, <c>teach</c> command).</summary>
    public TeachSettings Teach { get; set; } = new();

    /// <summary>Fleet sync; absent = offline (learning still works and is stored).</summary>
    public SyncSettings? Sync { get; set; }

    /// <summary>Where samples come from; at least one.</summary>
    public IReadOnlyList<SourceSettings> Sources { get; set; } = [];

    /// <summary>Teach button and status LEDs; absent = no GPIO.</summary>
    public GpioSettings? Gpio { get; set; }

    /// <summary>Health reporting.</summary>
    public StatusSettings Status { get; set; } = new();

    /// <summary>The device page (live recognitions, classes, teach and correct from a browser); absent = none.</summary>
    public WebSettings? Web { get; set; }
}

/// <summary>The classifier head (a learner from the registry, e.g. <c>ncm-test-centred</c>) and its checkpoints.</summary>
public sealed class LearnerSettings
{
    /// <summary>Registered learner name (<c>edgecl eval --list-methods</c>).</summary>
    public string Method { get; set; } = "ncm-test-centred";

    /// <summary>Learner parameters as <c>"name": "value"</c> strings (the same keys as <c>edgecl eval --param</c>).</summary>
    public IReadOnlyDictionary<string, string>? Parameters { get; set; }

    /// <summary>Adapt on unlabelled samples (test-time adaptation); false = predict only.</summary>
    public bool Adapt { get; set; } = true;

    /// <summary>Seconds between checkpoints of the adaptation state; 0 = only at a clean stop.</summary>
    public double CheckpointSeconds { get; set; } = 60;

    /// <summary>MB of raw inputs kept, class-balanced, for a backbone rollout to re-embed (docs/rollout.md); 0 (the default) keeps none.
    /// A 1.5 s clip costs about 47 KB: 1 MB keeps about 21 clips.</summary>
    public double ExemplarBudgetMb { get; set; }
}

/// <summary>When a prediction counts as recognised.</summary>
public sealed class RecognitionSettings
{
    /// <summary>Predictions with a softmax confidence below this are reported as unknown (0 = always the nearest class).</summary>
    public float MinConfidence { get; set; }

    /// <summary>Open set: a sample whose cosine to the winning class (CL2N) is below this is "unknown", as is one the
    /// background class wins; -1..1, default 0.40 (README, "Open-set recognition").</summary>
    public float Threshold { get; set; } = Core.Learning.OpenSet.OpenSetOptions.DefaultThreshold;

    /// <summary>Live audio: a keyword is said on its own, so an utterance that follows other speech by less than this
    /// pause is "unknown" without asking the learner (talk runs words together with pauses of about 0.25 s); 0 = off.
    /// README, "Isolated words".</summary>
    public int MinPauseBeforeMs { get; set; } = 400;

    /// <summary>Live audio: the pause an utterance needs when the one before it was itself talk (answered unknown by this
    /// rule), e.g. a short phrase after a sentence; at least <see cref="MinPauseBeforeMs"/>; 0 = the same pause as after a
    /// word. A keyword after a keyword still needs only <see cref="MinPauseBeforeMs"/>. README, "Isolated words".</summary>
    public int MinPauseAfterTalkMs { get; set; } = DefaultMinPauseAfterTalkMs;

    /// <summary>Default of <see cref="MinPauseAfterTalkMs"/>.</summary>
    public const int DefaultMinPauseAfterTalkMs = 800;

    /// <summary>Live audio: speech longer than this, or a piece of speech cut at <c>vad.max_utterance_ms</c> and the rest
    /// after the cut, is not a keyword and is "unknown" without asking the learner; 0 = off.</summary>
    public int MaxWordMs { get; set; } = 1500;
}

/// <summary>Teaching: which class a button hold teaches, and how many examples it takes.</summary>
public sealed class TeachSettings
{
    /// <summary>The class a button hold teaches until a <c>teach</c> command names another.</summary>
    public string? Label { get; set; }

    /// <summary>Examples taken per teaching session.</summary>
    public int Shots { get; set; } = 5;

    /// <summary>A teaching session ends after this many seconds even when short of shots.</summary>
    public double TimeoutSeconds { get; set; } = 30;
}

/// <summary>The broker and the keys of fleet sync.</summary>
public sealed class SyncSettings
{
    /// <summary><c>embedded</c> (an in-process broker on <see cref="EmbeddedPort"/>), or <c>mqtt://host:port</c> / <c>mqtts://host:port</c>.</summary>
    public string Broker { get; set; } = "embedded";

    /// <summary>Port of the embedded broker (loopback unless <see cref="EmbeddedListenAny"/>).</summary>
    public int EmbeddedPort { get; set; } = 1883;

    /// <summary>Let the embedded broker listen on every interface (for other devices of a site).</summary>
    public bool EmbeddedListenAny { get; set; }

    /// <summary>
    /// Users of the embedded broker (<c>name:hash[:operator]</c> per line, written by <c>edgecl broker passwd</c>; the agent's own
    /// password then comes from <see cref="PasswordFile"/>); absent = the agent creates <c>state_dir/broker/users</c> with
    /// random passwords for itself and a local <c>operator</c> (<c>device.password</c>, <c>operator.password</c> beside it).
    /// </summary>
    public string? EmbeddedUsersFile { get; set; }

    /// <summary>Broker user name (must equal the device id when set).</summary>
    public string? User { get; set; }

    /// <summary>File holding the broker password (one line); keeps secrets out of the config.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>CA certificate (PEM) for mqtts.</summary>
    public string? CaFile { get; set; }

    /// <summary>Client certificate (PEM) for mutual TLS.</summary>
    public string? CertFile { get; set; }

    /// <summary>Client key (PEM) for <see cref="CertFile"/>.</summary>
    public string? KeyFile { get; set; }

    /// <summary>This device's entry-signing key (PEM, ECDSA P-256); created in the state folder when absent.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Folder of peers' public keys (<c>&lt;device-id&gt;.pem</c>); entries of devices not in it are dropped. Absent = trust only this device's own key (the agent exports it as <c>state_dir/&lt;device-id&gt;.pem</c> for peers).</summary>
    public string? TrustDir { get; set; }

    /// <summary>
    /// What the device receives of the fleet: <c>entries</c> (every device's entry of every class; the default) or
    /// <c>aggregates</c> (per-class aggregates from the aggregators in <c>trust_dir/aggregators/</c>, run with
    /// <c>edgecl fleet aggregate</c>, received as bundles; traffic and signature checks grow with classes, not devices;
    /// docs/fleet-aggregation.md) or <c>aggregates-per-class</c> (the same, one message per class: for aggregators built
    /// before bundles).
    /// </summary>
    public string Receive { get; set; } = "entries";

    /// <summary>
    /// How the device publishes its own entries: <c>classes</c> (one retained message per class; the default, read by
    /// every build) or <c>bundles</c> (a retained snapshot and delta, one message per flush; read by builds from bundles
    /// on: switch once every device and aggregator of the fleet runs one; docs/fleet-aggregation.md).
    /// </summary>
    public string Publish { get; set; } = "classes";

    /// <summary>
    /// The most examples one device's entry may weigh in the fleet's mean of a class; 0 (the default) = no cap, each device
    /// weighs its count. A cap bounds what one compromised device with a valid key can do by claiming a huge count
    /// (docs/fleet-aggregation.md, "A compromised device"); every device and aggregator of the fleet must use the same.
    /// </summary>
    public long MaxExamplesPerDevice { get; set; }

    /// <summary>
    /// The longest (L2 norm) a device's class mean may be in the fleet's mean before it is scaled down to this length; 0 (the
    /// default) = no bound. With <see cref="MaxExamplesPerDevice"/> it bounds a compromised device that inflates its vector
    /// instead of its count; set it a little above the backbone's usual embedding norm (<c>edgecl fleet measure-cap</c>
    /// prints it). Every device and aggregator of the fleet must use the same.
    /// </summary>
    public float MaxMeanNorm { get; set; }
}

/// <summary>One input source. <see cref="Type"/> decides which other keys apply.</summary>
public sealed class SourceSettings
{
    /// <summary><c>files</c>, <c>folder</c>, <c>pcm</c>, <c>image-folder</c>, <c>raw-frames</c> or <c>camera</c>.</summary>
    public string? Type { get; set; }

    /// <summary>The file, folder, FIFO, or <c>-</c> for stdin (pcm, raw-frames); for <c>camera</c> the V4L2 node (default <c>/dev/video0</c>) or its number.</summary>
    public string? Path { get; set; }

    /// <summary>Files for <c>files</c>.</summary>
    public IReadOnlyList<string>? Paths { get; set; }

    /// <summary>Every sample of this source is a labelled example of this class (teaching through files).</summary>
    public string? Label { get; set; }

    /// <summary><c>folder</c>/<c>image-folder</c>: a file in a sub-folder is an example of the class named by the sub-folder.</summary>
    public bool LabelsFromFolders { get; set; }

    /// <summary><c>folder</c>/<c>image-folder</c>: how often to look for new files, in milliseconds.</summary>
    public int PollMs { get; set; } = 250;

    /// <summary><c>folder</c>/<c>image-folder</c>: move handled files to this folder (default: delete them); relative to the watched folder.</summary>
    public string? DoneDir { get; set; }

    /// <summary><c>pcm</c>: voice-activity detection that cuts the stream into utterances.</summary>
    public VadSettings Vad { get; set; } = new();

    /// <summary><c>raw-frames</c>/<c>camera</c>: frame width in pixels.</summary>
    public int Width { get; set; }

    /// <summary><c>raw-frames</c>/<c>camera</c>: frame height in pixels.</summary>
    public int Height { get; set; }

    /// <summary><c>raw-frames</c>: <c>gray8</c>, <c>rgb24</c> or <c>bgr24</c>.</summary>
    public string PixelFormat { get; set; } = "gray8";

    /// <summary><c>raw-frames</c>/<c>camera</c>: embed every n-th frame (1 = all).</summary>
    public int EveryNthFrame { get; set; } = 1;

    /// <summary><c>pcm</c>/<c>raw-frames</c>: reopen the FIFO after it closes (the writer went away) instead of ending the source.</summary>
    public bool Reopen { get; set; } = true;
}

/// <summary>Voice-activity detection with Silero VAD (v4, from the speech model package).</summary>
public sealed class VadSettings
{
    /// <summary>The Silero VAD model; default <c>silero_vad.onnx</c> beside the speech backbone.</summary>
    public string? Model { get; set; }

    /// <summary>Speech probability above which a 80 ms chunk counts as speech.</summary>
    public float Threshold { get; set; } = 0.5f;

    /// <summary>Shorter speech bursts are ignored (clicks, coughs).</summary>
    public int MinSpeechMs { get; set; } = 160;

    /// <summary>Silence that ends an utterance.</summary>
    public int MinSilenceMs { get; set; } = 240;

    /// <summary>Longer speech is cut here.</summary>
    public int MaxUtteranceMs { get; set; } = 1500;

    /// <summary>Speech more than this many dB below an utterance's loudest 80 ms is background for the isolated-word rule
    /// (<c>recognition.min_pause_before_ms</c>, <c>max_word_ms</c>): a television or people talking further away do not
    /// make a keyword said over them "part of longer speech"; 0 = every speech chunk counts.</summary>
    public float ForegroundDb { get; set; } = 15f;

    /// <summary>Audio kept before the detected start.</summary>
    public int PreRollMs { get; set; } = 160;

    /// <summary>Embed an utterance as soon as the VAD decides it has ended (default), rather than waiting until the 1.5 s
    /// clip centred on it has been heard (up to ~0.55 s more for a short word): the clip is cut from the audio heard so far
    /// and its missing end is the dithered silence <c>EmbedPcm</c> pads a short clip with.</summary>
    /// <remarks>Measured with the AOT binary (<c>ops/measure/agent_profile.py --early on|off</c>, 24 keywords fed in real
    /// time): speech end to prediction about 250 ms (p95 about 500) instead of 494 ms (p95 642), 19/24 correct either way.
    /// Both embed the clip with one whole-clip <c>EmbedPcm</c> run per utterance, so they cost the same CPU and memory.
    /// <c>false</c> waits for the clip's last sample.</remarks>
    public bool EarlyEmbed { get; set; } = true;
}

/// <summary>GPIO: a teach button and status LEDs (BCM/line numbers of <see cref="Chip"/>).</summary>
public sealed class GpioSettings
{
    /// <summary><c>auto</c> or <c>libgpiod</c> (the GPIO character device), or <c>simulated</c> (laptops, tests).</summary>
    public string Driver { get; set; } = "auto";

    /// <summary>GPIO chip number for libgpiod (Pi 4: 0; Pi 5: 0 on kernels from 6.6.47, 4 before; Jetson Orin: see device/pins.md).</summary>
    public int Chip { get; set; }

    /// <summary>The teach button; absent = none.</summary>
    public ButtonSettings? TeachButton { get; set; }

    /// <summary>Status LED pins; each optional.</summary>
    public LedSettings? Leds { get; set; }

    /// <summary>A small status display (SSD1306 OLED on I2C); absent = none.</summary>
    public DisplaySettings? Display { get; set; }

    /// <summary>An addressable RGB LED (WS2812B on SPI) showing the status as one colour; absent = none.</summary>
    public PixelSettings? StatusPixel { get; set; }
}

/// <summary>An SSD1306 status display on I2C (device/pins.md: the wiring).</summary>
public sealed class DisplaySettings
{
    /// <summary>The controller; only <c>ssd1306</c>.</summary>
    public string Type { get; set; } = "ssd1306";

    /// <summary>N of /dev/i2c-N (a Pi's header pins 3 and 5 are bus 1).</summary>
    public int I2cBus { get; set; } = 1;

    /// <summary>7-bit I2C address: 60 (0x3C) on most modules, 61 (0x3D) with the address jumper.</summary>
    public int Address { get; set; } = 0x3C;

    /// <summary>Pixels across: 128 (or 96, 64).</summary>
    public int Width { get; set; } = 128;

    /// <summary>Pixels down: 64 or 32 (or 16).</summary>
    public int Height { get; set; } = 64;

    /// <summary>At most one frame per this many ms (a frame is ~25 ms of a 400 kHz bus).</summary>
    public int RefreshMs { get; set; } = 250;
}

/// <summary>Addressable RGB LEDs (WS2812B, "NeoPixel") on SPI MOSI, all showing the status colour.</summary>
public sealed class PixelSettings
{
    /// <summary>The LED type; only <c>ws2812b</c>.</summary>
    public string Type { get; set; } = "ws2812b";

    /// <summary>B of /dev/spidevB.C (a Pi's MOSI, header pin 19, is bus 0).</summary>
    public int SpiBus { get; set; }

    /// <summary>C of /dev/spidevB.C (unused by the LEDs, but it names the device).</summary>
    public int ChipSelect { get; set; }

    /// <summary>LEDs in the chain, 1..64.</summary>
    public int Count { get; set; } = 1;

    /// <summary>0..1 of full brightness (full is blinding on a desk and draws 60 mA per LED).</summary>
    public float Brightness { get; set; } = 0.2f;
}

/// <summary>A push button.</summary>
public sealed class ButtonSettings
{
    /// <summary>Line number.</summary>
    public int Pin { get; set; } = -1;

    /// <summary>Pressed reads low (button to ground with a pull-up): the usual wiring.</summary>
    public bool ActiveLow { get; set; } = true;

    /// <summary>Edges closer than this are bounce.</summary>
    public int DebounceMs { get; set; } = 30;

    /// <summary>Hold at least this long to start teaching.</summary>
    public int HoldMs { get; set; } = 500;

    /// <summary>Keep holding this long (from the press) to say "not this": the last recognition was a false alarm and
    /// its sample is taught as the negative class of its label, <c>_background:&lt;label&gt;</c> (the teaching the first hold started is cancelled). 0 = off.</summary>
    public int NotThisMs { get; set; } = 3000;
}

/// <summary>Status LED pins (each optional).</summary>
public sealed class LedSettings
{
    /// <summary>On while teaching.</summary>
    public int? Learning { get; set; }

    /// <summary>On while test-time adaptation is active and healthy.</summary>
    public int? Adapting { get; set; }

    /// <summary>On while connected to the broker with nothing left to send.</summary>
    public int? Synced { get; set; }

    /// <summary>On after an error until the next success.</summary>
    public int? Error { get; set; }

    /// <summary>LEDs wired to light when the pin is low.</summary>
    public bool ActiveLow { get; set; }
}

/// <summary>Health reporting: the retained status topic and the local status file.</summary>
public sealed class StatusSettings
{
    /// <summary>Seconds between health publications and status-file writes.</summary>
    public double IntervalSeconds { get; set; } = 10;

    /// <summary>Seconds between the information-level summary lines (counts, accept rate, latency percentiles) that stand in
    /// for per-recognition lines (debug level, <c>--verbose</c>); 0 = no summary.</summary>
    public double SummarySeconds { get; set; } = 60;
}
