using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using EdgeCL.Core.Errors;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Learning;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;
using EdgeCL.Device.Config;
using EdgeCL.Device.Sources;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Sessions;
using EdgeCL.Storage.Errors;
using EdgeCL.Storage.Files;
using EdgeCL.Sync.Broker;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Commands;
using EdgeCL.Sync.Device;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.Status;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Agent;

/// <summary>
/// What runs on the device all day (<c>edgecl run</c>): sources → backbone → adaptive head → recognised / learned, with
/// durable learning and fleet sync through <see cref="FleetDevice"/>, teaching by button or command, health reports.
/// </summary>
/// <remarks>
/// <para><b>One loop.</b> Sources run on their own tasks and write samples into one bounded channel; a single loop embeds,
/// learns or recognises, so the backbone and the head never see two callers. Commands and the button only queue work for
/// that loop.</para>
/// <para><b>Crash safety.</b> A labelled example is acknowledged (the <c>learned ... ack=1</c> line, the folder source
/// moving its file away) only after <see cref="FleetDevice"/> committed it to SQLite (WAL, synchronous=FULL) together with
/// its outbox row; a file learned but not yet moved when the power fails is recognised by its example id on the next
/// start and not counted twice. The adaptation state is checkpointed atomically every <c>checkpoint_seconds</c>; losing
/// the last interval of adaptation is harmless by design.</para>
/// <para><b>Degraded operation.</b> A source that fails, GPIO that cannot be opened, a broker that is down: one line each,
/// and the rest keeps running; learning continues offline and the outbox is sent when the broker is back.</para>
/// </remarks>
public sealed partial class DeviceAgent : IAsyncDisposable
{
    private static readonly InputSample Wake = new() { Source = "agent", Origin = "wake" };

    private readonly DeviceConfig _config;
    private readonly string _stateDir;
    private readonly ILogger _logger;
    private readonly IEmbeddingBackbone _backbone;
    private readonly FleetDevice _device;
    private readonly EmbeddedBroker? _broker;
    private readonly AdaptiveHead _head;
    private readonly IAgentPanel? _panel;
    private readonly IReadOnlyList<IInputSource> _sources;
    private readonly Channel<InputSample> _samples = Channel.CreateBounded<InputSample>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
    private readonly System.Collections.Concurrent.ConcurrentQueue<Action> _controls = new();
    private readonly float[] _embedding;
    private readonly Dictionary<string, long> _rejected = new(StringComparer.Ordinal);
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private readonly bool _online;
    private readonly SignedEntryCodec _codec;
    private string? _teachLabel;
    private TeachSession? _teach;
    private volatile bool _headDirty = true;
    private long _recognised, _learned, _rejectedTotal;
    private int _sourcesRunning;
    private string? _lastError;
    private long _lastErrorTimestamp;
    private long _lastCheckpoint, _lastStatus, _lastNoClassesLog;

    private DeviceAgent(DeviceConfig config, string stateDir, ILogger logger, IEmbeddingBackbone backbone, FleetDevice device, EmbeddedBroker? broker,
        AdaptiveHead head, IAgentPanel? panel, IReadOnlyList<IInputSource> sources, bool online, SignedEntryCodec codec)
    {
        _config = config;
        _stateDir = stateDir;
        _logger = logger;
        _backbone = backbone;
        _device = device;
        _broker = broker;
        _head = head;
        _panel = panel;
        _sources = sources;
        _online = online;
        _codec = codec;
        _embedding = new float[backbone.Space.Dimension];
        _teachLabel = config.Teach.Label;
    }

    /// <summary>Raised on the agent loop after each sample; keep handlers short (tests, displays).</summary>
    public event EventHandler<AgentResult>? SampleHandled;

    /// <summary>The device (store + sync).</summary>
    public FleetDevice Device => _device;

    /// <summary>The backbone in use.</summary>
    public IEmbeddingBackbone Backbone => _backbone;

    /// <summary>The embedded broker, when the config asks for one.</summary>
    public EmbeddedBroker? Broker => _broker;

    /// <summary>The panel (button and lights), when GPIO is configured and could be opened.</summary>
    public IAgentPanel? Panel => _panel;

    /// <summary>Path of the local status file (<c>edgecl status</c> reads it).</summary>
    public string StatusPath => Path.Combine(_stateDir, StatusFile.FileName);

    /// <summary>Opens everything the config names and starts syncing; sources start with <see cref="RunAsync"/>.</summary>
    /// <exception cref="AgentStartException">Something the agent cannot run without (backbone, state) failed; one line.</exception>
    public static async Task<DeviceAgent> StartAsync(DeviceAgentOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        DeviceConfig config = options.Config;
        ILoggerFactory loggers = options.LoggerFactory;
        ILogger logger = loggers.CreateLogger("edgecl.agent");
        string Resolve(string p) => Path.GetFullPath(p, options.ConfigDirectory);
        string deviceId = config.DeviceId ?? throw new AgentStartException("device_id is missing; run 'edgecl run --check' on the config.");
        string stateDir = Resolve(config.StateDir ?? throw new AgentStartException("state_dir is missing; run 'edgecl run --check' on the config."));
        try
        {
            Directory.CreateDirectory(stateDir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AgentStartException($"state_dir '{stateDir}' cannot be created ({ex.Message.Split('\n')[0]}); fix the path or its permissions.");
        }

        var sessionOptions = new SessionOptionsSpec { Providers = SessionOptionsSpec.ParseChain(config.Providers), IntraOpThreads = config.Threads };
        string? modelsRoot = config.ModelsRoot is null ? null : Resolve(config.ModelsRoot);
        string backboneName = config.Backbone!;
        string backboneRef = DeviceConfigValidator.BackboneReference(backboneName, options.ConfigDirectory);
        IEmbeddingBackbone OpenBackbone() => BackboneCatalog.Open(backboneRef, sessionOptions, loggers.CreateLogger("edgecl.backbone"), modelsRoot);
        IEmbeddingBackbone backbone;
        string? backboneDirectory;
        try
        {
            backbone = OpenBackbone();
            backboneDirectory = backboneRef.EndsWith(".onnx", StringComparison.Ordinal) ? null : Path.GetDirectoryName(BackboneCatalog.ResolveManifestPath(backboneRef, modelsRoot));
        }
        catch (Exception ex) when (ex is ModelLoadException or ArgumentException or IOException or InputFormatException or EmbeddingException or InvalidOperationException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            throw new AgentStartException($"backbone '{backboneName}' cannot be opened: {ex.Message.Split('\n')[0]}");
        }

        var disposables = new List<IAsyncDisposable>();
        try
        {
            (SignedEntryCodec codec, bool created) = LoadCodec(config, deviceId, stateDir, Resolve);
            if (created)
                AgentLog.KeyCreated(logger, KeyPath(config, stateDir, Resolve), Path.Combine(stateDir, deviceId + ".pem"));

            EmbeddedBroker? broker = null;
            FleetBrokerOptions brokerOptions = new() { Host = "127.0.0.1", Port = 1883 };
            SyncSettings? sync = config.Sync;
            if (sync is not null)
            {
                if (sync.Broker == "embedded")
                {
                    IReadOnlyList<BrokerUser> users = sync.EmbeddedUsersFile is { } usersFile ? ReadUsers(Resolve(usersFile)) : LocalBrokerUsers(stateDir, deviceId);
                    string? password = sync.PasswordFile is { } pf ? File.ReadAllText(Resolve(pf)).Trim() : users.FirstOrDefault(u => u.Name == deviceId)?.Password;
                    var bind = sync.EmbeddedListenAny ? System.Net.IPAddress.Any : System.Net.IPAddress.Loopback;
                    broker = new EmbeddedBroker(new EmbeddedBrokerOptions { Port = sync.EmbeddedPort, BindAddress = bind, Users = users, DataDirectory = Path.Combine(stateDir, "broker") },
                        loggers.CreateLogger<EmbeddedBroker>());
                    try
                    {
                        await broker.StartAsync(cancellationToken).ConfigureAwait(false);
                        disposables.Add(broker);
                        AgentLog.BrokerStarted(logger, bind.ToString(), broker.Port);
                    }
                    catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or InvalidOperationException)
                    {
                        // Port taken (another agent's broker on this host): sync through that one.
                        AgentLog.BrokerFailed(logger, ex.Message.Split('\n')[0]);
                        await broker.DisposeAsync().ConfigureAwait(false);
                        broker = null;
                    }
                    brokerOptions = new FleetBrokerOptions { Host = "127.0.0.1", Port = sync.EmbeddedPort, UserName = password is null ? null : deviceId, Password = password };
                }
                else
                {
                    FleetBrokerOptions parsed = FleetBrokerOptions.Parse(sync.Broker);
                    brokerOptions = parsed with
                    {
                        UserName = sync.User,
                        Password = sync.PasswordFile is null ? null : File.ReadAllText(Resolve(sync.PasswordFile)).Trim(),
                        CaCertificatePath = sync.CaFile is null ? null : Resolve(sync.CaFile),
                        ClientCertificatePath = sync.CertFile is null ? null : Resolve(sync.CertFile),
                        ClientKeyPath = sync.KeyFile is null ? null : Resolve(sync.KeyFile),
                    };
                }
            }

            var deviceOptions = new FleetDeviceOptions
            {
                StatePath = Path.Combine(stateDir, "state.db"),
                Sync = new FleetSyncOptions { Fleet = config.Fleet, DeviceId = deviceId, Space = backbone.Space, Broker = brokerOptions },
            };
            FleetDevice device;
            try
            {
                device = FleetDevice.Open(deviceOptions, codec, loggers);
            }
            catch (Exception ex) when (ex is StateStoreException or EmbeddingException or ArgumentException)
            {
                throw new AgentStartException($"state '{deviceOptions.StatePath}' cannot be used: {ex.Message.Split('\n')[0]}");
            }
            disposables.Insert(0, device);

            await device.LoadOwnEntriesAsync(cancellationToken).ConfigureAwait(false);
            var head = new AdaptiveHead(LearnerRegistry.CreateDefault(), config.Learner.Method, DeviceConfigValidator.LearnerOptionsFor(config.Learner, config.Recognition),
                backbone.Space, Path.Combine(stateDir, "adaptation.ckpt"));
            head.Rebuild(device.FleetPrototypes());
            (int restored, string? refused) = head.RestoreCheckpoint();
            if (refused is not null)
                AgentLog.CheckpointRejected(logger, Path.Combine(stateDir, "adaptation.ckpt"), refused);
            else if (restored > 0)
                AgentLog.CheckpointRestored(logger, Path.Combine(stateDir, "adaptation.ckpt"), restored);

            IAgentPanel? panel = null;
            if (config.Gpio is not null && options.Panel is { } openPanel)
            {
                try
                {
                    panel = openPanel(config.Gpio, loggers);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    AgentLog.GpioDisabled(logger, ex.Message.Split('\n')[0]);
                }
            }

            var context = new SourceContext
            {
                ConfigDirectory = options.ConfigDirectory,
                OpenBackbone = OpenBackbone,
                BackboneDirectory = backboneDirectory,
                SessionOptions = sessionOptions,
                LoggerFactory = loggers,
            };
            var sources = new List<IInputSource>();
            SourceFactory factory = options.Sources ?? throw new AgentStartException("no source factory was given to the agent.");
            foreach (SourceSettings s in config.Sources)
            {
                try
                {
                    sources.Add(factory(s, context, backbone));
                }
                catch (SourceException ex)
                {
                    AgentLog.SourceFailed(logger, s.Type ?? "?", ex.Message);
                }
            }

            var agent = new DeviceAgent(config, stateDir, logger, backbone, device, broker, head, panel, sources, sync is not null, codec);
            device.Processed += agent.OnFleetChanged;
            device.Client.StateChanged += agent.OnFleetChanged;
            device.Client.CommandReceived += agent.OnCommand;
            if (panel is not null)
            {
                panel.TeachHeld += agent.OnTeachHeld;
                panel.NotThisHeld += agent.OnNotThisHeld;
            }
            if (sync is not null)
                await device.StartAsync(cancellationToken).ConfigureAwait(false);
            AgentLog.Started(logger, deviceId, config.Fleet, backbone.Name, backbone.Space.Id, backbone.ActiveProvider.ToString(), config.Learner.Method,
                head.ClassCount, sources.Count);
            return agent;
        }
        catch
        {
            foreach (IAsyncDisposable d in disposables)
                await d.DisposeAsync().ConfigureAwait(false);
            backbone.Dispose();
            throw;
        }
    }

    /// <summary>Runs the sources and the loop until <paramref name="stop"/> fires (SIGTERM/SIGINT), then checkpoints and shuts down cleanly.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        using var sourcesStop = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var sourceTasks = _sources.Select(s => Task.Run(() => RunSourceAsync(s, sourcesStop.Token), CancellationToken.None)).ToList();
        Task ticker = Task.Run(() => TickAsync(sourcesStop.Token), CancellationToken.None);
        _lastCheckpoint = _lastStatus = Stopwatch.GetTimestamp();
        WriteStatus(publish: true);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                InputSample sample;
                try
                {
                    sample = await _samples.Reader.ReadAsync(stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                while (_controls.TryDequeue(out Action? control))
                    control();
                if (!ReferenceEquals(sample, Wake))
                    await HandleAsync(sample).ConfigureAwait(false);
                Periodic();
            }
        }
        finally
        {
            AgentLog.Stopping(_logger, stop.IsCancellationRequested ? "stop requested" : "loop ended");
            await sourcesStop.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(sourceTasks.Append(ticker)).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // A source blocked in a read that ignores cancellation (an unopened FIFO); it dies with the process.
            }
            if (_head.SaveCheckpoint() is { } reason)
                AgentLog.CheckpointFailed(_logger, reason);
            WriteStatus(publish: true);
            AgentLog.Stopped(_logger, _recognised, _learned, _rejectedTotal);
        }
    }

    /// <summary>Opens a teaching session (what the button and the <c>teach</c> command do); thread-safe.</summary>
    public void Teach(string label, string trigger = "api") => Enqueue(() => StartTeaching(label, trigger));

    /// <summary>Drops adaptation state (what the <c>reset_adaptation</c> command does); thread-safe.</summary>
    public void ResetAdaptation(string trigger = "api") => Enqueue(() =>
    {
        _head.Reset();
        AgentLog.AdaptationReset(_logger, trigger);
    });

    /// <summary>The current health report.</summary>
    public DeviceHealth Health()
    {
        FleetDeviceStatistics stats = _device.Statistics;
        Dictionary<string, long> rejected;
        lock (_rejected)
            rejected = new Dictionary<string, long>(_rejected, StringComparer.Ordinal);
        var dropped = stats.Sync.Drops.Where(kv => kv.Value > 0).ToDictionary(kv => kv.Key.ToString(), kv => kv.Value, StringComparer.Ordinal);
        return new DeviceHealth
        {
            Model = _backbone.Name,
            Provider = _backbone.ActiveProvider.ToString(),
            Dimension = _backbone.Space.Dimension,
            Learner = _config.Learner.Method,
            OwnClasses = _device.OwnClassCount,
            FleetClasses = _head.ClassCount,
            Adaptation = _head.AdaptationState(_config.Learner.Adapt),
            AdaptationResets = _head.Resets,
            Teaching = _teach?.Label,
            Recognised = Interlocked.Read(ref _recognised),
            Learned = Interlocked.Read(ref _learned),
            Rejected = rejected.Count == 0 ? null : rejected,
            Dropped = dropped.Count == 0 ? null : dropped,
            PendingOutbox = _device.PendingOutboxRows,
            Connected = _online && _device.Client.IsConnected,
            Sources = $"{Volatile.Read(ref _sourcesRunning)}/{_config.Sources.Count}",
            UptimeSeconds = (long)Stopwatch.GetElapsedTime(_startTimestamp).TotalSeconds,
            RssBytes = Environment.WorkingSet,
            LastError = _lastError,
        };
    }

    /// <summary>Stops syncing (goodbye to the broker), closes the store, GPIO and backbone.</summary>
    public async ValueTask DisposeAsync()
    {
        _device.Processed -= OnFleetChanged;
        _device.Client.StateChanged -= OnFleetChanged;
        _device.Client.CommandReceived -= OnCommand;
        if (_panel is not null)
        {
            _panel.TeachHeld -= OnTeachHeld;
            _panel.NotThisHeld -= OnNotThisHeld;
            _panel.Dispose();
        }
        foreach (IInputSource source in _sources)
            await source.DisposeAsync().ConfigureAwait(false);
        await _device.DisposeAsync().ConfigureAwait(false);
        if (_broker is not null)
            await _broker.DisposeAsync().ConfigureAwait(false);
        _codec.Signer.Dispose();
        _codec.TrustStore.Dispose();
        _backbone.Dispose();
    }

    private async Task HandleAsync(InputSample sample)
    {
        ReadOnlySpan<float> embedding;
        try
        {
            embedding = Embed(sample);
            VectorKernels.EnsureValidEmbedding(embedding, _backbone.Space.Dimension);
        }
        catch (Exception ex) when (ex is InputFormatException or EmbeddingException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            Reject(sample, ex is EmbeddingException ? "invalid-embedding" : "decode", ex.Message.Split('\n')[0]);
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
        catch (Exception ex) when (ex is StateStoreException or ArgumentException or EmbeddingException)
        {
            Reject(sample, ex is StateStoreException ? "store" : "label", ex.Message.Split('\n')[0]);
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

    private void StartTeaching(string label, string trigger)
    {
        if (_teach is not null)
            EndTeaching("replaced");
        _teachLabel = label;
        long deadline = Stopwatch.GetTimestamp() + (long)(_config.Teach.TimeoutSeconds * Stopwatch.Frequency);
        _teach = new TeachSession(label, _config.Teach.Shots, deadline, trigger);
        AgentLog.TeachStarted(_logger, label, _config.Teach.Shots, _config.Teach.TimeoutSeconds, trigger);
        UpdatePanel();
    }

    private void EndTeaching(string reason)
    {
        if (_teach is not { } teach)
            return;
        _teach = null;
        AgentLog.TeachEnded(_logger, teach.Label, teach.Learned, reason);
        UpdatePanel();
    }

    private void Periodic()
    {
        if (_teach is { } teach && Stopwatch.GetTimestamp() > teach.DeadlineTimestamp)
            EndTeaching("timeout");
        if (_config.Learner.CheckpointSeconds > 0 && Stopwatch.GetElapsedTime(_lastCheckpoint).TotalSeconds >= _config.Learner.CheckpointSeconds)
        {
            _lastCheckpoint = Stopwatch.GetTimestamp();
            if (_head.SaveCheckpoint() is { } reason)
                AgentLog.CheckpointFailed(_logger, reason);
        }
        if (Stopwatch.GetElapsedTime(_lastStatus).TotalSeconds >= _config.Status.IntervalSeconds)
        {
            _lastStatus = Stopwatch.GetTimestamp();
            WriteStatus(publish: true);
        }
        UpdatePanel();
    }

    private void WriteStatus(bool publish)
    {
        DeviceHealth health = Health();
        try
        {
            StatusFile.Write(StatusPath, _device.DeviceId, health);
        }
        catch (IOException ex)
        {
            AgentLog.StatusFailed(_logger, ex.Message.Split('\n')[0]);
        }
        if (publish && _online)
            _ = _device.Client.PublishHealthAsync(health);
    }

    private void UpdatePanel()
    {
        if (_panel is null)
            return;
        bool error = _lastErrorTimestamp != 0 && Stopwatch.GetElapsedTime(_lastErrorTimestamp) < TimeSpan.FromSeconds(30);
        bool synced = _online && _device.Client.IsConnected && _device.PendingOutboxRows == 0;
        _panel.Show(learning: _teach is not null, adapting: _head.AdaptationState(_config.Learner.Adapt) == "adapting", synced, error);
    }

    private async Task RunSourceAsync(IInputSource source, CancellationToken stop)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stop.IsCancellationRequested)
        {
            Interlocked.Increment(ref _sourcesRunning);
            try
            {
                await source.RunAsync(_samples.Writer, stop).ConfigureAwait(false);
                AgentLog.SourceEnded(_logger, source.Name);
                return;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (SourceException ex)
            {
                _lastError = ex.Message;
                _lastErrorTimestamp = Stopwatch.GetTimestamp();
                AgentLog.SourceFailed(_logger, source.Name, ex.Message);
                return;
            }
            catch (Exception ex)
            {
                // A bug or an unexpected OS error in a source must not take the agent down: log, back off, restart it.
                _lastError = $"{source.Name}: {ex.Message.Split('\n')[0]}";
                _lastErrorTimestamp = Stopwatch.GetTimestamp();
                AgentLog.SourceCrashed(_logger, ex, source.Name, delay.TotalSeconds);
            }
            finally
            {
                Interlocked.Decrement(ref _sourcesRunning);
            }
            try
            {
                await Task.Delay(delay, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
        }
    }

    private async Task TickAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
                _samples.Writer.TryWrite(Wake);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Enqueue(Action control)
    {
        _controls.Enqueue(control);
        _samples.Writer.TryWrite(Wake);
    }

    private void OnFleetChanged(object? sender, EventArgs e) => _headDirty = true;

    private void OnTeachHeld(object? sender, EventArgs e) => Enqueue(() =>
    {
        if (_teachLabel is { } label)
            StartTeaching(label, "button");
        else
            AgentLog.NothingToTeach(_logger);
    });

    private void OnCommand(object? sender, FleetCommandEventArgs e)
    {
        FleetCommand command = e.Command;
        AgentLog.Command(_logger, command.Kind.ToString(), command.Label, command.Id);
        switch (command.Kind)
        {
            case FleetCommandKind.Teach when command.Label is { } label:
                if (!FleetLimits.IsValidLabel(label))
                {
                    AgentLog.CommandIgnored(_logger, "teach", $"label '{label}' cannot be synced (1..{FleetLimits.MaxLabelBytes} bytes of printable text)");
                    return;
                }
                Teach(label, "command");
                break;
            case FleetCommandKind.StopTeach:
                Enqueue(() => EndTeaching("command"));
                break;
            case FleetCommandKind.ResetAdaptation:
                ResetAdaptation("command");
                break;
            case FleetCommandKind.ForgetClass:
                _headDirty = true; // FleetDevice forgets the class itself.
                break;
            case FleetCommandKind.FalseAlarm:
                FalseAlarm("command");
                break;
            case FleetCommandKind.NewBackbone:
                AgentLog.CommandIgnored(_logger, "new_backbone", "switching backbones at run time is not supported yet; install the model, edit backbone in the config and restart the service");
                break;
        }
    }

    private static IReadOnlyList<BrokerUser> ReadUsers(string path)
    {
        try
        {
            return BrokerUser.ReadFile(path);
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            throw new AgentStartException($"sync.embedded_users_file: {ex.Message.Split('\n')[0]}");
        }
    }

    /// <summary>The users of a one-device embedded broker: this device with a random password, kept in the state folder (mode 0600).</summary>
    private static IReadOnlyList<BrokerUser> LocalBrokerUsers(string stateDir, string deviceId)
    {
        string path = Path.Combine(stateDir, "broker", "users");
        if (File.Exists(path))
        {
            IReadOnlyList<BrokerUser> existing = ReadUsers(path);
            if (existing.Any(u => u.Name == deviceId))
                return existing;
        }
        string password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        AtomicFile.WriteAllBytes(path, System.Text.Encoding.ASCII.GetBytes($"# created by edgecl run: users of the embedded broker (name:password[:operator])\n{deviceId}:{password}\n"));
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return [new BrokerUser(deviceId, password)];
    }

    private static string KeyPath(DeviceConfig config, string stateDir, Func<string, string> resolve) =>
        config.Sync?.SigningKey is { } key ? resolve(key) : Path.Combine(stateDir, "device-key.pem");

    /// <summary>The signing key (created on first start) and the trust store (peers' keys plus our own).</summary>
    private static (SignedEntryCodec Codec, bool Created) LoadCodec(DeviceConfig config, string deviceId, string stateDir, Func<string, string> resolve)
    {
        string keyPath = KeyPath(config, stateDir, resolve);
        bool created = false;
        EntrySigner signer;
        try
        {
            if (File.Exists(keyPath))
                signer = EntrySigner.FromPem(deviceId, File.ReadAllText(keyPath));
            else
            {
                signer = EntrySigner.Create(deviceId);
                AtomicFile.WriteAllBytes(keyPath, System.Text.Encoding.ASCII.GetBytes(signer.ExportPrivateKeyPem()));
                if (!OperatingSystem.IsWindows())
                    File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                created = true;
            }
            AtomicFile.WriteAllBytes(Path.Combine(stateDir, deviceId + ".pem"), System.Text.Encoding.ASCII.GetBytes(signer.ExportPublicKeyPem()));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or System.Security.Cryptography.CryptographicException)
        {
            throw new AgentStartException($"signing key '{keyPath}' cannot be used ({ex.Message.Split('\n')[0]}); fix it, or move it aside to let the agent create a new one (peers must then trust the new public key).");
        }
        TrustStore trust;
        try
        {
            trust = config.Sync?.TrustDir is { } dir ? TrustFolder.Load(resolve(dir)) : new TrustStore();
        }
        catch (ArgumentException ex)
        {
            signer.Dispose();
            throw new AgentStartException($"sync.trust_dir: {ex.Message}");
        }
        trust.Add(deviceId, signer.ExportPublicKeyPem());
        return (new SignedEntryCodec(signer, trust), created);
    }
}
