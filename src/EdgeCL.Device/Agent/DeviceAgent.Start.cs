using System.Globalization;
using System.Threading.Channels;
using EdgeCL.Core.Errors;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Learning;
using EdgeCL.Core.Vectors;
using EdgeCL.Device.Config;
using EdgeCL.Device.Rollout;
using EdgeCL.Device.Sources;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Sessions;
using EdgeCL.Storage.Errors;
using EdgeCL.Storage.Files;
using EdgeCL.Storage.State;
using EdgeCL.Sync.Broker;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Device;
using EdgeCL.Sync.Payloads;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Agent;

/// <summary>Starting: the backbone, the state, the signing key and trust, the broker (embedded or remote), the sources and the panel.</summary>
public sealed partial class DeviceAgent
{
    /// <summary>Opens everything the config names and starts syncing; sources start with <see cref="RunAsync"/>.</summary>
    /// <exception cref="AgentStartException">Something the agent cannot run without (backbone, state) failed; one line.</exception>
    public static async Task<DeviceAgent> StartAsync(DeviceAgentOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        DeviceConfig config = options.Config;
        ILoggerFactory loggers = options.LoggerFactory;
        ILogger logger = loggers.CreateLogger("edgecl.agent");
        string Resolve(string p) => Path.GetFullPath(p, options.ConfigDirectory);
        string deviceId = config.DeviceId ?? throw new AgentStartException("device_id is missing; run 'edgecl run --check' on the config.", AgentStartFailure.Config);
        string stateDir = Resolve(config.StateDir ?? throw new AgentStartException("state_dir is missing; run 'edgecl run --check' on the config.", AgentStartFailure.Config));
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
        // A new_backbone command's choice (state_dir/backbone.override) takes precedence over the config's.
        string? overridden = ReadBackboneOverride(stateDir);
        string backboneName = overridden ?? config.Backbone!;
        string backboneRef = overridden ?? DeviceConfigValidator.BackboneReference(backboneName, options.ConfigDirectory);
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
            string why = overridden is null ? "" : $" (chosen by a new_backbone command in '{BackboneOverride.PathIn(stateDir)}'; reinstall it, or delete that file to run the config's backbone '{config.Backbone}')";
            throw new AgentStartException($"backbone '{backboneName}' cannot be opened: {ex.Message.Split('\n')[0]}{why}", AgentStartFailure.Model);
        }

        var disposables = new List<IAsyncDisposable>();
        try
        {
            (SignedEntryCodec codec, bool created) = LoadCodec(config, deviceId, stateDir, Resolve, logger);
            if (created)
                AgentLog.KeyCreated(logger, KeyPath(config, stateDir, Resolve), Path.Combine(stateDir, deviceId + ".pem"));

            EmbeddedBroker? broker = null;
            FleetBrokerOptions brokerOptions = new() { Host = "127.0.0.1", Port = 1883 };
            SyncSettings? sync = config.Sync;
            if (sync is not null)
            {
                if (sync.Broker == "embedded")
                {
                    (IReadOnlyList<BrokerUser> users, string? password) = EmbeddedAccounts(sync, stateDir, deviceId, Resolve);
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
                Sync = new FleetSyncOptions
                {
                    Fleet = config.Fleet, DeviceId = deviceId, Space = backbone.Space, Broker = brokerOptions,
                    // Commands are acted on only when signed by one of these operators (none: every command is refused).
                    OperatorKeys = LoadKeys(TrustFolder.LoadOperators, config.Sync?.TrustDir is { } trustDir ? Resolve(trustDir) : null),
                    // Aggregate mode (docs/fleet-aggregation.md): per-class aggregates from these aggregators instead of every entry.
                    // "aggregates" takes the aggregators' bundles; "aggregates-per-class" one message per class (older aggregators).
                    Receive = config.Sync?.Receive is "aggregates" or "aggregates-per-class" ? FleetReceiveMode.Aggregates : FleetReceiveMode.Entries,
                    AggregateBundles = config.Sync?.Receive != "aggregates-per-class",
                    PublishBundles = config.Sync?.Publish == "bundles",
                    AggregatorKeys = config.Sync?.Receive is "aggregates" or "aggregates-per-class" ? LoadKeys(TrustFolder.LoadAggregators, Resolve(config.Sync.TrustDir!)) : null,
                    CommandNoncePath = Path.Combine(stateDir, "command-nonces"),
                    // A per-device weight cap and mean norm bound limit a compromised device (docs/fleet-aggregation.md); 0 = off.
                    MergePolicy = new FleetMergePolicy { MaxExamplesPerDevice = config.Sync?.MaxExamplesPerDevice ?? 0, MaxMeanNorm = config.Sync?.MaxMeanNorm ?? 0 },
                },
            };
            MigrateState(deviceOptions.StatePath, backbone, backboneDirectory, deviceId, codec, logger);
            FleetDevice device;
            bool startedFull = false;
            try
            {
                device = FleetDevice.Open(deviceOptions, codec, loggers);
            }
            catch (StateStoreException ex) when (ex.Failure == StateStoreFailure.DiskFull)
            {
                // No room for the -shm file: open holding the database exclusively (the WAL index in memory), recognise
                // from what is stored, and learn again once space returns.
                device = OpenOnFullDisk(deviceOptions, codec, loggers);
                startedFull = true;
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
                    panel = openPanel(config.Gpio, config.DeviceId ?? "", loggers);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    AgentLog.GpioDisabled(logger, ex.Message.Split('\n')[0]);
                }
            }

            DeviceAgent? agentForSources = null; // sources start only once the agent runs; before it exists nothing is skipped
            var context = new SourceContext
            {
                ConfigDirectory = options.ConfigDirectory,
                OpenBackbone = OpenBackbone,
                BackboneDirectory = backboneDirectory,
                SessionOptions = sessionOptions,
                LoggerFactory = loggers,
                NotAWord = timing => agentForSources?.NotAWordBeforeEmbedding(timing),
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

            var agent = new DeviceAgent(config, stateDir, logger, backbone, device, broker, head, panel, sources, sync is not null, codec)
            {
                _backboneChoice = new BackboneChoice(backboneName, config.Backbone!, overridden is not null, modelsRoot, sessionOptions),
            };
            agentForSources = agent;
            if (overridden is not null)
                AgentLog.BackboneOverridden(logger, backboneName, BackboneOverride.PathIn(stateDir), config.Backbone!);
            if (startedFull)
                agent.PauseLearningForSpace(null);
            else
                agent.AttachExemplars(OpenExemplars(config, deviceOptions.StatePath, backbone.Space, deviceId, logger));
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
                head.ClassCount, sources.Count, deviceOptions.Sync.MergePolicy.ToString());
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

    private static FleetDevice OpenOnFullDisk(FleetDeviceOptions options, SignedEntryCodec codec, ILoggerFactory loggers)
    {
        try
        {
            return FleetDevice.Open(options with { Store = (options.Store ?? StateStoreOptions.Default) with { ExclusiveLocking = true } }, codec, loggers);
        }
        catch (Exception ex) when (ex is StateStoreException or EmbeddingException or ArgumentException)
        {
            throw new AgentStartException($"state '{options.StatePath}' cannot be opened: {DiskSpace.Describe(options.StatePath)} ({ex.Message.Split('\n')[0]}); free space on that disk and start again.");
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

    /// <summary>
    /// The embedded broker's users and this device's password: a configured users file (hashes, so the password comes from
    /// sync.password_file), or the one-device accounts in state_dir/broker (created on first start).
    /// </summary>
    private static (IReadOnlyList<BrokerUser> Users, string? Password) EmbeddedAccounts(SyncSettings sync, string stateDir, string deviceId, Func<string, string> resolve)
    {
        string? password = sync.PasswordFile is { } pf ? File.ReadAllText(resolve(pf)).Trim() : null;
        if (sync.EmbeddedUsersFile is { } usersFile)
        {
            return (ReadUsers(resolve(usersFile)), password
                ?? throw new AgentStartException("sync.embedded_users_file holds password hashes, so the agent needs its own password as well: set sync.password_file."));
        }
        try
        {
            LocalBrokerAccounts local = LocalBrokerAccounts.LoadOrCreate(Path.Combine(stateDir, "broker"), deviceId);
            return (local.Users, password ?? local.DevicePassword);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AgentStartException($"the embedded broker's accounts in '{Path.Combine(stateDir, "broker")}' cannot be written ({ex.Message.Split('\n')[0]}); check the state_dir's permissions and free space.");
        }
    }

    private static TrustStore LoadKeys(Func<string?, TrustStore> load, string? trustDir)
    {
        try
        {
            return load(trustDir);
        }
        catch (ArgumentException ex)
        {
            throw new AgentStartException($"sync.trust_dir: {ex.Message}");
        }
    }

    private static string KeyPath(DeviceConfig config, string stateDir, Func<string, string> resolve) =>
        config.Sync?.SigningKey is { } key ? resolve(key) : Path.Combine(stateDir, "device-key.pem");

    /// <summary>The signing key (created on first start) and the trust store (peers' keys plus our own).</summary>
    /// <remarks>The private key is written once, when it is created; the public key export only when it is missing or differs,
    /// so a start on a full disk neither fails nor risks the identity (every start used to rewrite the export).</remarks>
    private static (SignedEntryCodec Codec, bool Created) LoadCodec(DeviceConfig config, string deviceId, string stateDir, Func<string, string> resolve, ILogger logger)
    {
        // Trust first: a trust folder that stops the start must do so before a new identity is written.
        TrustStore trust;
        try
        {
            trust = config.Sync?.TrustDir is { } dir ? TrustFolder.Load(resolve(dir)) : new TrustStore();
        }
        catch (ArgumentException ex)
        {
            throw new AgentStartException($"sync.trust_dir: {ex.Message}", AgentStartFailure.Config);
        }
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
        }
        catch (Exception ex) when (DiskSpace.IsDiskFull(ex))
        {
            trust.Dispose();
            throw new AgentStartException($"signing key '{keyPath}' cannot be created: {DiskSpace.Describe(keyPath)}; free space on that disk and start again.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or System.Security.Cryptography.CryptographicException)
        {
            trust.Dispose();
            throw new AgentStartException($"signing key '{keyPath}' cannot be used ({ex.Message.Split('\n')[0]}); fix it, or move it aside to let the agent create a new one (peers must then trust the new public key).");
        }
        ExportPublicKey(Path.Combine(stateDir, deviceId + ".pem"), signer.ExportPublicKeyPem(), logger);
        trust.Add(deviceId, signer.ExportPublicKeyPem());
        return (new SignedEntryCodec(signer, trust), created);
    }

    /// <summary>Writes the public key for peers' trust folders when it is missing or stale; a failed write is a warning, not a stop.</summary>
    private static void ExportPublicKey(string path, string pem, ILogger logger)
    {
        try
        {
            if (File.Exists(path) && File.ReadAllText(path) == pem)
                return;
            AtomicFile.WriteAllBytes(path, System.Text.Encoding.ASCII.GetBytes(pem));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            AgentLog.PublicKeyNotExported(logger, path, ex.Message.Split('\n')[0]);
        }
    }
}
