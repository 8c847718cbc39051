using System.Globalization;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Learning;
using EdgeCL.Onnx.Sessions;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Topics;

namespace EdgeCL.Device.Config;

/// <summary>Checks every value of a <see cref="DeviceConfig"/> and lists all mistakes at once, one line each.</summary>
/// <remarks>Checks what can be known without opening models or hardware; the agent reports the rest (a missing model, a busy pin) when it starts.</remarks>
public static class DeviceConfigValidator
{
    /// <summary>The source types <c>edgecl run</c> understands.</summary>
    public static IReadOnlyList<string> SourceTypes { get; } = ["files", "folder", "pcm", "image-folder", "raw-frames", "camera"];

    /// <summary>Pixel formats of the raw-frames source.</summary>
    public static IReadOnlyList<string> PixelFormats { get; } = ["gray8", "rgb24", "bgr24"];

    /// <summary>Lists every mistake (empty when the config is valid).</summary>
    /// <param name="config">The parsed config.</param>
    /// <param name="directory">Folder relative paths are resolved against.</param>
    public static IEnumerable<string> Validate(DeviceConfig config, string directory)
    {
        ArgumentNullException.ThrowIfNull(config);
        var errors = new List<string>();
        void Check(bool ok, string message)
        {
            if (!ok) errors.Add(message);
        }
        string Resolve(string p) => Path.GetFullPath(p, directory);

        Check(config.Version == 1, $"version {config.Version} is not supported; this build reads \"version\": 1.");
        if (string.IsNullOrWhiteSpace(config.DeviceId))
            errors.Add("device_id is missing; set a unique id such as \"pi-kitchen-01\" ([A-Za-z0-9._-]).");
        else if (!FleetLimits.IsValidDeviceId(config.DeviceId) || config.DeviceId is "proto" or "status" or "cmd")
            errors.Add($"device_id '{config.DeviceId}' is not a valid id; use 1..{FleetLimits.MaxDeviceIdLength} characters of [A-Za-z0-9._-] (not proto/status/cmd).");
        Check(TopicSegment.IsValidIdentifier(config.Fleet), $"fleet '{config.Fleet}' is not a valid name; use [A-Za-z0-9._-] (no '/', '+', '#').");
        Check(!string.IsNullOrWhiteSpace(config.Backbone), "backbone is missing; name one from 'edgecl model list' (e.g. \"speech\") or give a path to a backbone.json.");
        try
        {
            SessionOptionsSpec.ParseChain(config.Providers);
        }
        catch (ArgumentException ex)
        {
            errors.Add($"providers: {ex.Message}");
        }
        Check(config.Threads is >= 0 and <= 256, $"threads {config.Threads} is out of range 0..256 (0 lets ONNX Runtime choose).");
        Check(!string.IsNullOrWhiteSpace(config.StateDir), "state_dir is missing; give a folder for the device's state such as \"/var/lib/edgecl\".");
        if (config.ModelsRoot is { } models && !Directory.Exists(Resolve(models)))
            errors.Add($"models_root '{models}' does not exist; point it at the folder holding the backbone folders (e.g. /opt/edgecl/models).");

        ValidateLearner(config.Learner, errors);
        ValidateRecognition(config.Recognition, errors);
        if (config.Teach.Label is { } reservedTeach && Core.Learning.OpenSet.ReservedLabels.Problem(reservedTeach) is { } reservedProblem && reservedTeach != Core.Learning.OpenSet.ReservedLabels.Background)
            errors.Add($"teach.label: {reservedProblem}");
        Check(config.Teach.Shots is >= 1 and <= 10_000, $"teach.shots {config.Teach.Shots} is out of range 1..10000.");
        Check(config.Teach.TimeoutSeconds is > 0 and <= 86_400, $"teach.timeout_seconds {Fmt(config.Teach.TimeoutSeconds)} is out of range (0, 86400].");
        if (config.Teach.Label is { } teachLabel)
            Check(!string.IsNullOrWhiteSpace(teachLabel) && teachLabel.Length <= FleetLimits.MaxLabelBytes, $"teach.label '{teachLabel}' is empty or too long (at most {FleetLimits.MaxLabelBytes} bytes).");
        if (config.Sync is { } sync)
            ValidateSync(sync, config.DeviceId, Resolve, errors);
        Check(config.Sources.Count > 0, "sources is empty; add at least one source, e.g. {\"type\": \"folder\", \"path\": \"inbox\"}.");
        for (int i = 0; i < config.Sources.Count; i++)
            ValidateSource(config.Sources[i], $"sources[{i}]", Resolve, errors);
        Check(config.Status.IntervalSeconds is >= 0.1 and <= 86_400, $"status.interval_seconds {Fmt(config.Status.IntervalSeconds)} is out of range 0.1..86400.");
        Check(config.Status.SummarySeconds is >= 0 and <= 86_400, $"status.summary_seconds {Fmt(config.Status.SummarySeconds)} is out of range 0..86400 (0 = no summary lines).");
        return errors;
    }

    private static void ValidateLearner(LearnerSettings learner, List<string> errors)
    {
        LearnerRegistry registry = LearnerRegistry.CreateDefault();
        if (!registry.TryGet(learner.Method, out _))
        {
            errors.Add($"learner.method '{learner.Method}' is unknown; use one of {string.Join(", ", registry.Names())}.");
            return;
        }
        LearnerDescriptor descriptor = registry.Get(learner.Method);
        var known = descriptor.Parameters.Keys.Select(k => k[(learner.Method.Length + 1)..]).ToList();
        LearnerOptions options = LearnerOptionsFor(learner);
        bool keysKnown = true;
        foreach (string key in options.Parameters.Keys)
        {
            if (descriptor.Parameters.ContainsKey(key))
                continue;
            keysKnown = false;
            string bare = key.StartsWith(learner.Method + ".", StringComparison.Ordinal) ? key[(learner.Method.Length + 1)..] : key;
            string? guess = DeviceConfigLoader.Closest(bare, known);
            errors.Add($"learner.parameters: '{bare}' is not a parameter of {learner.Method}" +
                (guess is not null ? $"; did you mean '{guess}'?" : known.Count == 0 ? " (it takes none)." : $"; it takes {string.Join(", ", known)}."));
        }
        if (keysKnown)
        {
            try
            {
                // Values are checked by building the learner once (every factory parses its parameters).
                registry.Create(learner.Method, new EdgeCL.Core.Vectors.EmbeddingSpace(new string('0', 64), 4), options);
            }
            catch (ArgumentException ex)
            {
                errors.Add($"learner.parameters: {ex.Message.Split('\n')[0]}");
            }
        }
        if (learner.CheckpointSeconds is < 0 or > 86_400 || !double.IsFinite(learner.CheckpointSeconds))
            errors.Add($"learner.checkpoint_seconds {Fmt(learner.CheckpointSeconds)} is out of range 0..86400 (0 = only at a clean stop).");
        if (learner.ExemplarBudgetMb is < 0 or > 4096 || !double.IsFinite(learner.ExemplarBudgetMb))
            errors.Add($"learner.exemplar_budget_mb {Fmt(learner.ExemplarBudgetMb)} is out of range 0..4096 (0 = keep no exemplars).");
    }

    /// <summary>The backbone as <see cref="EdgeCL.Onnx.Backbones.BackboneCatalog"/> takes it: a name stays a name; a path (with '/', or a .json / .onnx file) is resolved against the config's folder.</summary>
    public static string BackboneReference(string backbone, string directory) =>
        backbone.Contains('/', StringComparison.Ordinal) || backbone.EndsWith(".json", StringComparison.Ordinal) || backbone.EndsWith(".onnx", StringComparison.Ordinal)
            ? Path.GetFullPath(backbone, directory) : backbone;

    /// <summary>The learner options for a config: parameter keys without a method prefix get the method's name (<c>warm_up</c> → <c>ncm-test-centred.warm_up</c>).</summary>
    public static LearnerOptions LearnerOptionsFor(LearnerSettings learner, RecognitionSettings? recognition = null)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string key, string value) in learner.Parameters ?? new Dictionary<string, string>())
            parameters[key.Contains('.', StringComparison.Ordinal) ? key : $"{learner.Method}.{key}"] = value;
        return new LearnerOptions
        {
            Parameters = parameters,
            OpenSet = recognition is null ? null : new Core.Learning.OpenSet.OpenSetOptions { Threshold = recognition.Threshold },
        };
    }

    private static void ValidateSync(SyncSettings sync, string? deviceId, Func<string, string> resolve, List<string> errors)
    {
        if (sync.Broker != "embedded")
        {
            try
            {
                FleetBrokerOptions.Parse(sync.Broker);
            }
            catch (ArgumentException ex)
            {
                errors.Add($"sync.broker: {ex.Message.TrimEnd('.')}, or \"embedded\" for the in-process broker.");
            }
        }
        if (sync.EmbeddedPort is < 1 or > 65535)
            errors.Add($"sync.embedded_port {sync.EmbeddedPort} is out of range 1..65535.");
        if (sync.User is { } user && deviceId is not null && user != deviceId)
            errors.Add($"sync.user '{user}' differs from device_id '{deviceId}'; the broker ACL lets a device write only under its own id, so use the device id.");
        foreach ((string key, string? file) in new[] { ("password_file", sync.PasswordFile), ("embedded_users_file", sync.EmbeddedUsersFile), ("ca_file", sync.CaFile), ("cert_file", sync.CertFile), ("key_file", sync.KeyFile) })
            if (file is not null && !File.Exists(resolve(file)))
                errors.Add($"sync.{key} '{file}' does not exist; create it (ops/mosquitto/make-certs.sh, make-passwords.sh) or remove the key.");
        if ((sync.CertFile is null) != (sync.KeyFile is null))
            errors.Add("sync.cert_file and sync.key_file go together; set both for mutual TLS or neither.");
        if (sync.TrustDir is { } trust && !Directory.Exists(resolve(trust)))
            errors.Add($"sync.trust_dir '{trust}' does not exist; create it with one <device-id>.pem public key per peer, or remove the key to trust only this device's own entries.");
        else if (sync.TrustDir is { } empty && !Directory.EnumerateFiles(resolve(empty), "*.pem").Any())
            errors.Add($"sync.trust_dir '{empty}' holds no <device-id>.pem public key; copy the peers' keys there (each agent exports its own to state_dir/<device-id>.pem), or remove the key to trust only this device's own entries.");
        if (sync.Publish is not ("classes" or "bundles"))
            errors.Add($"sync.publish '{sync.Publish}' is unknown; use \"classes\" (one message per class) or \"bundles\" (one message per flush, once every device and aggregator reads bundles).");
        if (sync.Receive is not ("entries" or "aggregates" or "aggregates-per-class"))
            errors.Add($"sync.receive '{sync.Receive}' is unknown; use \"entries\" (every device's entries), \"aggregates\" (bundles from the aggregators in trust_dir/aggregators) or \"aggregates-per-class\" (one message per class, for aggregators built before bundles).");
        else if (sync.Receive is "aggregates" or "aggregates-per-class" && (sync.TrustDir is not { } dir || !Directory.Exists(Path.Combine(resolve(dir), "aggregators"))
            || !Directory.EnumerateFiles(Path.Combine(resolve(dir), "aggregators"), "*.pem").Any()))
            errors.Add($"sync.receive is \"{sync.Receive}\" but trust_dir/aggregators/ holds no <aggregator-id>.pem; copy each aggregator's public key there (edgecl fleet aggregator-key NAME writes NAME.pem).");
        if (new FleetMergePolicy { MaxExamplesPerDevice = sync.MaxExamplesPerDevice }.Check() is not null)
            errors.Add($"sync.max_examples_per_device {sync.MaxExamplesPerDevice} is out of range 0..{FleetLimits.MaxCount}; use 0 for no cap, or the most examples one device may weigh in a class (e.g. 50).");
        if (new FleetMergePolicy { MaxMeanNorm = sync.MaxMeanNorm }.Check() is not null)
            errors.Add($"sync.max_mean_norm {sync.MaxMeanNorm.ToString(CultureInfo.InvariantCulture)} is not a finite number >= 0; use 0 for no bound, or a little above the backbone's usual embedding norm (edgecl fleet measure-cap prints it).");
        if (sync.SigningKey is { } key2 && !File.Exists(resolve(key2)))
            errors.Add($"sync.signing_key '{key2}' does not exist; remove the key to let the agent create one in state_dir, or fix the path.");
    }

    /// <summary>Lists the mistakes in what decides how a device listens: <c>recognition</c> and the VAD settings of its pcm
    /// sources (what <c>eval --unknown --config</c> takes from a device's config; the rest may name paths of another machine).</summary>
    public static IEnumerable<string> ValidateListening(DeviceConfig config, string directory)
    {
        ArgumentNullException.ThrowIfNull(config);
        var errors = new List<string>();
        ValidateRecognition(config.Recognition, errors);
        for (int i = 0; i < config.Sources.Count; i++)
            if (config.Sources[i].Type == "pcm")
                ValidateVad(config.Sources[i].Vad, $"sources[{i}].vad", p => Path.GetFullPath(p, directory), errors);
        return errors;
    }

    private static void ValidateRecognition(RecognitionSettings recognition, List<string> errors)
    {
        void Check(bool ok, string message)
        {
            if (!ok) errors.Add(message);
        }
        Check(recognition.MinConfidence is >= 0 and <= 1, $"recognition.min_confidence {Fmt(recognition.MinConfidence)} is out of range 0..1.");
        Check(recognition.Threshold is >= -1 and <= 1, $"recognition.threshold {Fmt(recognition.Threshold)} is out of range -1..1 (a cosine; default 0.4, lower accepts more).");
        Check(recognition.MinPauseBeforeMs is >= 0 and <= 10_000, $"recognition.min_pause_before_ms {recognition.MinPauseBeforeMs} is out of range 0..10000 (default 400; 0 answers words run into other speech too).");
        Check(recognition.MinPauseAfterTalkMs is >= 0 and <= 10_000, $"recognition.min_pause_after_talk_ms {recognition.MinPauseAfterTalkMs} is out of range 0..10000 (default {RecognitionSettings.DefaultMinPauseAfterTalkMs}; 0 = the same pause as after a word).");
        Check(recognition.MaxWordMs is 0 or (>= 160 and <= 30_000), $"recognition.max_word_ms {recognition.MaxWordMs} is out of range 160..30000, or 0 for off (default 1500).");
    }

    private static void ValidateSource(SourceSettings source, string at, Func<string, string> resolve, List<string> errors)
    {
        if (source.Type is null || !SourceTypes.Contains(source.Type))
        {
            errors.Add($"{at}.type '{source.Type}' is unknown; use one of {string.Join(", ", SourceTypes)}.");
            return;
        }
        switch (source.Type)
        {
            case "files":
                if (source.Paths is not { Count: > 0 })
                    errors.Add($"{at}: a 'files' source needs \"paths\": [\"a.wav\", ...].");
                else
                    foreach (string p in source.Paths)
                        if (!File.Exists(resolve(p)))
                            errors.Add($"{at}.paths: '{p}' does not exist; fix the path or remove it.");
                break;
            case "folder" or "image-folder":
                if (string.IsNullOrWhiteSpace(source.Path))
                    errors.Add($"{at}: a '{source.Type}' source needs \"path\": the folder to watch (created when missing).");
                if (source.PollMs is < 10 or > 60_000)
                    errors.Add($"{at}.poll_ms {source.PollMs} is out of range 10..60000.");
                if (source.Label is not null && source.LabelsFromFolders)
                    errors.Add($"{at}: set either \"label\" or \"labels_from_folders\", not both.");
                break;
            case "pcm":
                if (string.IsNullOrWhiteSpace(source.Path))
                    errors.Add($"{at}: a 'pcm' source needs \"path\": a FIFO such as /run/edgecl/mic.pcm, or \"-\" for stdin.");
                ValidateVad(source.Vad, $"{at}.vad", resolve, errors);
                break;
            case "raw-frames" or "camera":
                if (source.Type == "raw-frames" && string.IsNullOrWhiteSpace(source.Path))
                    errors.Add($"{at}: a 'raw-frames' source needs \"path\": a FIFO, or \"-\" for stdin.");
                if (source.Width is < 1 or > 8192 || source.Height is < 1 or > 8192)
                    errors.Add($"{at}: width {source.Width} x height {source.Height} must each be 1..8192 (the size of the frames the pipe carries).");
                if (!PixelFormats.Contains(source.PixelFormat))
                    errors.Add($"{at}.pixel_format '{source.PixelFormat}' is unknown; use {string.Join(", ", PixelFormats)}.");
                if (source.EveryNthFrame is < 1 or > 10_000)
                    errors.Add($"{at}.every_nth_frame {source.EveryNthFrame} is out of range 1..10000.");
                break;
        }
        if (source.Label is { } label && (string.IsNullOrWhiteSpace(label) || label.Length > FleetLimits.MaxLabelBytes))
            errors.Add($"{at}.label '{label}' is empty or too long (at most {FleetLimits.MaxLabelBytes} bytes).");
    }

    private static void ValidateVad(VadSettings vad, string at, Func<string, string> resolve, List<string> errors)
    {
        if (vad.Model is { } model && !File.Exists(resolve(model)))
            errors.Add($"{at}.model '{model}' does not exist; run models/speech/fetch.sh or remove the key to use the one beside the speech backbone.");
        if (vad.Threshold is <= 0 or >= 1 || !float.IsFinite(vad.Threshold))
            errors.Add($"{at}.threshold {Fmt(vad.Threshold)} must be in (0, 1).");
        if (vad.MinSpeechMs is < 0 or > 10_000) errors.Add($"{at}.min_speech_ms {vad.MinSpeechMs} is out of range 0..10000.");
        if (vad.MinSilenceMs is < 80 or > 10_000) errors.Add($"{at}.min_silence_ms {vad.MinSilenceMs} is out of range 80..10000.");
        if (vad.MaxUtteranceMs is < 240 or > 30_000) errors.Add($"{at}.max_utterance_ms {vad.MaxUtteranceMs} is out of range 240..30000.");
        if (vad.PreRollMs is < 0 or > 2_000) errors.Add($"{at}.pre_roll_ms {vad.PreRollMs} is out of range 0..2000.");
        if (!(vad.ForegroundDb is >= 0 and <= 60)) errors.Add($"{at}.foreground_db {vad.ForegroundDb} is out of range 0..60 (default 15; 0 counts all speech).");
        if (vad.MinSpeechMs > vad.MaxUtteranceMs) errors.Add($"{at}: min_speech_ms {vad.MinSpeechMs} exceeds max_utterance_ms {vad.MaxUtteranceMs}.");
    }

    private static string Fmt(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
