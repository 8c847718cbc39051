using System.Diagnostics;
using System.Threading.Channels;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Learning;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;
using EdgeCL.Device.Config;
using EdgeCL.Device.Sources;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Sessions;
using EdgeCL.Storage.Errors;
using EdgeCL.Storage.Files;
using EdgeCL.Sync.Broker;
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


    /// <summary>Runs the sources and the loop until <paramref name="stop"/> fires (SIGTERM/SIGINT), then checkpoints and shuts down cleanly.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        using var sourcesStop = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var sourceTasks = _sources.Select(s => Task.Run(() => RunSourceAsync(s, sourcesStop.Token), CancellationToken.None)).ToList();
        Task ticker = Task.Run(() => TickAsync(sourcesStop.Token), CancellationToken.None);
        _lastCheckpoint = _lastStatus = Stopwatch.GetTimestamp();
        WriteStatus(publish: true);
        HealthSocket? heartbeat = HealthSocket.TryListen(_stateDir, HealthNowAsync, _logger);
        try
        {
            // A new_backbone command ends the loop too (RestartBackbone): the host starts the agent again on that backbone.
            while (!stop.IsCancellationRequested && _restartBackbone is null)
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
            AgentLog.Stopping(_logger, stop.IsCancellationRequested ? "stop requested" : _restartBackbone is { } next ? $"restarting on backbone {next}" : "loop ended");
            await sourcesStop.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(sourceTasks.Append(ticker)).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // A source blocked in a read that ignores cancellation (an unopened FIFO); it dies with the process.
            }
            if (heartbeat is not null)
                await heartbeat.DisposeAsync().ConfigureAwait(false);
            if (_head.SaveCheckpoint() is { } reason)
                AgentLog.CheckpointFailed(_logger, reason);
            WriteStatus(publish: true);
            AgentLog.Stopped(_logger, _recognised, _learned, _rejectedTotal);
        }
    }

    /// <summary>Drops adaptation state (what the <c>reset_adaptation</c> command does); thread-safe.</summary>
    public void ResetAdaptation(string trigger = "api") => Enqueue(() =>
    {
        _head.Reset();
        AgentLog.AdaptationReset(_logger, trigger);
    });

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
        DisposeExemplars();
        await _device.DisposeAsync().ConfigureAwait(false);
        if (_broker is not null)
            await _broker.DisposeAsync().ConfigureAwait(false);
        _codec.Signer.Dispose();
        _codec.TrustStore.Dispose();
        _device.Client.Options.OperatorKeys?.Dispose();
        _backbone.Dispose();
    }


    private void Periodic()
    {
        if (_teach is { } teach && Stopwatch.GetTimestamp() > teach.DeadlineTimestamp)
            EndTeaching("timeout");
        // While the disk is full, checkpoint and status writes would only fail (and say so every interval): skip them.
        if (_config.Learner.CheckpointSeconds > 0 && !_diskFull && Stopwatch.GetElapsedTime(_lastCheckpoint).TotalSeconds >= _config.Learner.CheckpointSeconds)
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
        ProbeSpace();
        UpdatePanel();
        Summary.LogIfDue(_logger);
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
}
