using System.Threading.Channels;
using EdgeCL.Core.Fleet;
using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using EdgeCL.Device.Sources;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Tests.Agent;

/// <summary>A source the test feeds by hand.</summary>
internal sealed class QueueSource(string name = "queue") : IInputSource
{
    private readonly Channel<InputSample> _queue = Channel.CreateUnbounded<InputSample>();

    public string Name { get; } = name;

    public void Add(InputSample sample) => _queue.Writer.TryWrite(sample);

    public void Add(float[] embedding, string? label = null, string origin = "test") =>
        Add(new InputSample { Source = Name, Origin = origin, Embedding = embedding, Label = label });

    public async Task RunAsync(ChannelWriter<InputSample> output, CancellationToken cancellationToken)
    {
        await foreach (InputSample sample in _queue.Reader.ReadAllAsync(cancellationToken))
            await output.WriteAsync(sample, cancellationToken);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>A running agent with its log and results, for tests.</summary>
internal sealed class RunningAgent : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;
    private readonly List<AgentResult> _results = [];

    private RunningAgent(DeviceAgent agent, QueueSource source, StringWriter log, SourceContext? context)
    {
        Agent = agent;
        Source = source;
        Log = log;
        Context = context;
        agent.SampleHandled += (_, r) =>
        {
            lock (_results)
            {
                _results.Add(r);
                Monitor.PulseAll(_results);
            }
        };
        _run = agent.RunAsync(_stop.Token);
    }

    public DeviceAgent Agent { get; }

    /// <summary>The agent's run loop (it ends by itself when a new_backbone command asks for a restart).</summary>
    public Task Running => _run;

    public QueueSource Source { get; }

    /// <summary>What the agent gave its sources (null with built-in sources).</summary>
    public SourceContext? Context { get; }

    public StringWriter Log { get; }

    public string LogText
    {
        get
        {
            lock (Log)
                return Log.ToString();
        }
    }

    public static async Task<RunningAgent> StartAsync(DeviceConfig config, string directory, PanelFactory? panel = null, bool builtInSources = false)
    {
        var log = new StringWriter();
        var source = new QueueSource();
        SourceContext? context = null;
        var agent = await DeviceAgent.StartAsync(new DeviceAgentOptions
        {
            Config = config,
            ConfigDirectory = directory,
            LoggerFactory = new LineLoggerFactory(TextWriter.Synchronized(log), LogLevel.Information, journald: false),
            Sources = builtInSources ? SourceCatalog.Create : (_, c, _) => { context = c; return source; },
            Panel = panel,
        });
        return new RunningAgent(agent, source, log, context);
    }

    /// <summary>Waits until <paramref name="count"/> results have arrived in total; returns them all.</summary>
    public IReadOnlyList<AgentResult> WaitForResults(int count, double seconds = 20)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(seconds);
        lock (_results)
        {
            while (_results.Count < count)
            {
                TimeSpan left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !Monitor.Wait(_results, left))
                    if (_results.Count < count)
                        throw new TimeoutException($"{_results.Count} of {count} results after {seconds} s; log:\n{LogText}");
            }
            return _results.ToList();
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _run;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_run.IsCompleted)
            await StopAsync();
        await Agent.DisposeAsync();
        _stop.Dispose();
    }
}

internal static class AgentTestData
{
    public static string RepoRoot => Audio.SpeechData.RepoRoot;

    public static string Models => Path.Combine(RepoRoot, "models");

    /// <summary>Class centres in the digits space (96-d): well-separated random directions, and noisy samples around them.</summary>
    public static float[] Sample(int classIndex, Random random, float noise = 0.15f)
    {
        var centre = new Random(1000 + classIndex);
        var v = new float[96];
        for (int i = 0; i < v.Length; i++)
            v[i] = (float)(centre.NextDouble() * 2 - 1) + noise * (float)(random.NextDouble() * 2 - 1);
        return v;
    }

    public static DeviceConfig Config(string id, string stateDir, SyncSettings? sync = null, GpioSettings? gpio = null, string method = "ncm-test-centred") => new()
    {
        DeviceId = id,
        Fleet = "test",
        Backbone = "digits",
        ModelsRoot = Models,
        StateDir = stateDir,
        Learner = new LearnerSettings { Method = method, CheckpointSeconds = 0 },
        Teach = new TeachSettings { Shots = 2, TimeoutSeconds = 30 },
        Sync = sync,
        Gpio = gpio,
        Sources = [new SourceSettings { Type = "files", Paths = ["unused"] }],
        Status = new StatusSettings { IntervalSeconds = 0.2 },
    };

    /// <summary>Writes signing keys for <paramref name="ids"/> and a trust folder holding all their public keys.</summary>
    public static (Dictionary<string, string> KeyPaths, string TrustDir) Keys(string root, params string[] ids)
    {
        string trust = Directory.CreateDirectory(Path.Combine(root, "trust")).FullName;
        var keys = new Dictionary<string, string>();
        foreach (string id in ids)
        {
            using EntrySigner signer = EntrySigner.Create(id);
            string key = Path.Combine(root, id + "-key.pem");
            File.WriteAllText(key, signer.ExportPrivateKeyPem());
            File.WriteAllText(Path.Combine(trust, id + ".pem"), signer.ExportPublicKeyPem());
            keys[id] = key;
        }
        return (keys, trust);
    }

    /// <summary>Polls <paramref name="condition"/> every 50 ms; throws naming <paramref name="what"/> after <paramref name="seconds"/>.</summary>
    public static async Task WaitUntil(Func<bool> condition, string what, double seconds = 20)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out waiting for {what}.");
            await Task.Delay(50);
        }
    }

    public static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
