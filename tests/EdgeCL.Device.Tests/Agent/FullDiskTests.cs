using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using EdgeCL.Storage.Files;
using EdgeCL.Storage.Tests;

namespace EdgeCL.Device.Tests.Agent;

/// <summary>
/// A real full disk: the agent's state folder on a small tmpfs, filled to the last byte. The agent must start, recognise,
/// say "disk full" once, and learn the refused file by itself when space returns. Mounting needs root (CI runs as root);
/// elsewhere that test is skipped with the reason, and the /dev/full test still runs.
/// </summary>
public sealed class FullDiskTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-fulldisk-").FullName;
    private TmpfsMount? _disk;

    public void Dispose()
    {
        _disk?.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void A_write_to_a_full_device_is_recognised_as_a_full_disk()
    {
        // /dev/full fails every write with ENOSPC, no root needed.
        var ex = Assert.ThrowsAny<IOException>(() =>
        {
            using var stream = new FileStream("/dev/full", FileMode.Open, FileAccess.Write);
            stream.Write(new byte[4096]);
            stream.Flush(flushToDisk: true);
        });
        Assert.True(DiskSpace.IsDiskFull(ex), ex.ToString());
        Assert.False(DiskSpace.IsDiskFull(new IOException("other")));
        Assert.Matches(@"^disk full at '.+' \(.+ free of .+\)$", DiskSpace.Describe(_dir));
    }

    [TmpfsFact]
    public async Task Agent_starts_on_a_full_disk_recognises_and_learns_refused_files_when_space_returns()
    {
        _disk = TmpfsMount.TryCreate(3072, out string whyNot) ?? throw new InvalidOperationException(whyNot);
        string mount = _disk.Path;
        string inbox = Path.Combine(_dir, "inbox");
        Directory.CreateDirectory(Path.Combine(inbox, "seven"));
        Directory.CreateDirectory(Path.Combine(inbox, "nine"));
        string seven = Path.Combine(AgentTestData.Models, "digits", "samples", "7_0000.pgm");
        string nine = Path.Combine(AgentTestData.Models, "digits", "samples", "9_0000.pgm");
        var config = new DeviceConfig
        {
            DeviceId = "fulldisk",
            Fleet = "test",
            Backbone = "digits",
            ModelsRoot = AgentTestData.Models,
            StateDir = Path.Combine(mount, "state"),
            Learner = new LearnerSettings { Method = "ncm-test-centred", CheckpointSeconds = 0.2 },
            Sources = [new SourceSettings { Type = "image-folder", Path = inbox, LabelsFromFolders = true, PollMs = 20 }],
            Status = new StatusSettings { IntervalSeconds = 0.2 },
        };

        // 1. Room to spare: two classes learned, the key and its public export written.
        await using (RunningAgent first = await RunningAgent.StartAsync(config, _dir, builtInSources: true))
        {
            File.Copy(seven, Path.Combine(inbox, "seven", "a.pgm"));
            File.Copy(nine, Path.Combine(inbox, "nine", "a.pgm"));
            Assert.All(first.WaitForResults(2), r => Assert.Equal(AgentOutcome.Learned, r.Outcome));
        }

        // 2. The disk fills up to the last byte; a restart must still work (it used to fail rewriting <id>.pem).
        string filler = Path.Combine(mount, "filler");
        Fill(filler);
        await using RunningAgent agent = await RunningAgent.StartAsync(config, _dir, builtInSources: true);
        Assert.True(agent.Agent.DiskFull);
        Assert.Equal(2, agent.Agent.Device.OwnClassCount);
        File.Copy(seven, Path.Combine(inbox, "recognise-me.pgm"));
        AgentResult recognised = agent.WaitForResults(1)[0];
        Assert.Equal((AgentOutcome.Recognised, "seven"), (recognised.Outcome, recognised.Label));
        File.Copy(seven, Path.Combine(inbox, "seven", "b.pgm"));
        AgentResult refused = agent.WaitForResults(2)[1];
        Assert.Equal(AgentOutcome.Rejected, refused.Outcome);
        Assert.StartsWith("disk full at '", refused.Reason);
        Assert.Contains("retried when space returns", refused.Reason);
        Assert.True(File.Exists(Path.Combine(inbox, "seven", "b.pgm")), "a refused file must stay in the inbox");
        Assert.Single(agent.LogText.Split('\n'), l => l.Contains("learning paused: disk full", StringComparison.Ordinal));

        // 3. Space returns: no touch, no restart; the refused file is learned.
        File.Delete(filler);
        AgentResult retried = agent.WaitForResults(3, 15)[2];
        Assert.Equal(AgentOutcome.Learned, retried.Outcome);
        Assert.EndsWith("b.pgm", retried.Origin);
        Assert.False(agent.Agent.DiskFull);
        Assert.Contains("learning resumed", agent.LogText);
        Assert.Equal(3, agent.Agent.Device.FleetPrototypes().TotalCount);
    }

    /// <summary>Writes until the file system has not one byte left (blocks of 64 KiB, then halves down to 1 byte).</summary>
    private static void Fill(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        var block = new byte[64 * 1024];
        for (int size = block.Length; size > 0; size /= 2)
        {
            try
            {
                while (true)
                    stream.Write(block, 0, size);
            }
            catch (IOException ex) when (DiskSpace.IsDiskFull(ex))
            {
            }
        }
    }
}
