using System.Diagnostics;
using System.Numerics.Tensors;
using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using EdgeCL.Device.Tests.Audio;
using Xunit.Abstractions;

namespace EdgeCL.Device.Tests.Agent;

/// <summary>
/// The issue's end-to-end case with real parts: agent A learns spoken words from files in a watched folder and hosts the
/// embedded broker; agent B never hears a labelled example, listens to a FIFO (as <c>arecord | edgecl run</c> gives it),
/// cuts utterances with Silero VAD and recognises the words A taught, after sync.
/// </summary>
public sealed class SpeechAgentsTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-speech-agents-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Words_taught_to_one_agent_through_files_are_recognised_by_another_from_a_fifo_after_sync()
    {
        SpeechData.RequireModels();
        SpeechData.RequireKeywords();
        string[] words = SpeechData.Words().Take(6).ToArray();
        string teach = Path.Combine(_dir, "teach");
        foreach (string word in words)
            foreach (string clip in SpeechData.Clips("support", word, 5))
                File.Copy(clip, Path.Combine(Directory.CreateDirectory(Path.Combine(teach, word)).FullName, Path.GetFileName(clip)));
        string fifo = Path.Combine(_dir, "mic.pcm");
        using (var mk = Process.Start(new ProcessStartInfo("mkfifo", [fifo]) { UseShellExecute = false })!)
            mk.WaitForExit();

        int port = AgentTestData.FreePort();
        (Dictionary<string, string> keys, string trust) = AgentTestData.Keys(_dir, "kitchen", "hall");
        EdgeCL.Sync.Broker.BrokerUser.WriteToFile(Path.Combine(_dir, "users"), "kitchen", "pk", isOperator: false);
        EdgeCL.Sync.Broker.BrokerUser.WriteToFile(Path.Combine(_dir, "users"), "hall", "ph", isOperator: false);
        File.WriteAllText(Path.Combine(_dir, "pk"), "pk");
        File.WriteAllText(Path.Combine(_dir, "ph"), "ph");
        DeviceConfig kitchen = SpeechConfig("kitchen", new SyncSettings
        {
            Broker = "embedded", EmbeddedPort = port, EmbeddedUsersFile = "users", PasswordFile = "pk", SigningKey = keys["kitchen"], TrustDir = trust,
        }, new SourceSettings { Type = "folder", Path = "teach", LabelsFromFolders = true, PollMs = 50, DoneDir = "done" });
        DeviceConfig hall = SpeechConfig("hall", new SyncSettings
        {
            Broker = $"mqtt://127.0.0.1:{port}", User = "hall", PasswordFile = "ph", SigningKey = keys["hall"], TrustDir = trust,
        }, new SourceSettings { Type = "pcm", Path = "mic.pcm" });

        await using RunningAgent a = await RunningAgent.StartAsync(kitchen, _dir, builtInSources: true);
        await using RunningAgent b = await RunningAgent.StartAsync(hall, _dir, builtInSources: true);
        Assert.All(a.WaitForResults(words.Length * 5, 60), r => Assert.Equal(AgentOutcome.Learned, r.Outcome));
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (b.Agent.Device.FleetPrototypes().ClassCount < words.Length)
        {
            Assert.True(DateTime.UtcNow < deadline, "hall did not receive kitchen's words");
            await Task.Delay(50);
        }

        // Two unseen voices per word, 0.6 s of light noise between words, written in small chunks like arecord.
        var spoken = words.SelectMany(w => SpeechData.Clips("test", w, 2).Select(c => (Word: w, Pcm: SpeechData.Read(c)))).ToArray();
        new Random(3).Shuffle(spoken);
        const int gap = 9600;
        float[] audio = SpeechData.Noise(gap + spoken.Sum(s => s.Pcm.Length + gap), 30, seed: 5);
        int at = gap;
        foreach (var (_, pcm) in spoken)
        {
            TensorPrimitives.Add(audio.AsSpan(at, pcm.Length), pcm, audio.AsSpan(at, pcm.Length));
            at += pcm.Length + gap;
        }
        var bytes = new byte[audio.Length * 2];
        for (int i = 0; i < audio.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(2 * i), (short)Math.Clamp(audio[i], short.MinValue, short.MaxValue));
        await using (var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1))
            for (int i = 0; i < bytes.Length; i += 2560)
                await writer.WriteAsync(bytes.AsMemory(i, Math.Min(2560, bytes.Length - i)));

        IReadOnlyList<AgentResult> heard = b.WaitForResults(spoken.Length, 60);
        Assert.Equal(spoken.Length, heard.Count);
        // Open set: a taught word may be answered "unknown" (about 5 % at the default threshold), never another outcome.
        Assert.All(heard, r => Assert.Contains(r.Outcome, new[] { AgentOutcome.Recognised, AgentOutcome.Unknown }));
        int correct = heard.Zip(spoken).Count(p => p.First.Outcome == AgentOutcome.Recognised && p.First.Label == p.Second.Word);
        output.WriteLine($"{heard.Count(r => r.Outcome == AgentOutcome.Unknown)} of {heard.Count} words answered unknown");
        output.WriteLine($"hall recognised {correct}/{spoken.Length} words it was never taught ({string.Join(", ", heard.Select(r => r.Label))})");
        output.WriteLine($"latency from the VAD's end-of-utterance decision to the prediction: median {heard.Select(r => r.LatencyMs).Order().ElementAt(heard.Count / 2):F0} ms");
        Assert.True(correct >= spoken.Length * 0.7, $"{correct}/{spoken.Length} correct; expected at least 70 %");
        Assert.Equal(words.Length * 5, Directory.GetFiles(Path.Combine(_dir, "teach", "done"), "*.wav", SearchOption.AllDirectories).Length);
    }

    private static DeviceConfig SpeechConfig(string id, SyncSettings sync, SourceSettings source) => new()
    {
        DeviceId = id,
        Fleet = "home",
        Backbone = "speech",
        ModelsRoot = Path.Combine(AgentTestData.RepoRoot, "models"),
        StateDir = id,
        Learner = new LearnerSettings { Method = "ncm-test-centred" },
        Sync = sync,
        Sources = [source],
        Status = new StatusSettings { IntervalSeconds = 1 },
    };
}
