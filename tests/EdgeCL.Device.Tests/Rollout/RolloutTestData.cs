using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using EdgeCL.Device.Sources;
using EdgeCL.Device.Tests.Agent;

namespace EdgeCL.Device.Tests.Rollout;

/// <summary>What the rollout tests teach: jittered copies of the bundled digit images, kept as exemplars.</summary>
internal static class RolloutTestData
{
    /// <summary>A jittered copy of a bundled digit image (a 15-byte PGM header, then 28 × 28 pixels) in <paramref name="dir"/>.</summary>
    public static string Digit(string dir, Random random, string digit, int index)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(AgentTestData.Models, "digits", "samples", $"{digit}_0000.pgm"));
        for (int i = bytes.Length - 28 * 28; i < bytes.Length; i++)
            bytes[i] = (byte)Math.Clamp(bytes[i] + random.Next(-30, 31), 0, 255);
        string path = Path.Combine(dir, $"{digit}_{index}.pgm");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Teaches <paramref name="perDigit"/> sevens and nines from files (so they can be kept as exemplars), and
    /// <paramref name="givenSamples"/> examples of a class with no raw input (it can only be mapped); waits for the outbox to drain when syncing.</summary>
    public static async Task TeachAsync(DeviceConfig config, string dir, Random random, int perDigit, int givenSamples)
    {
        await using RunningAgent a = await RunningAgent.StartAsync(config, dir);
        int count = 0;
        for (int i = 0; i < perDigit; i++)
            foreach (string digit in new[] { "7", "9" })
            {
                string path = Digit(dir, random, digit, i);
                a.Source.Add(new InputSample { Source = "queue", Origin = Path.GetFileName(path), FilePath = path, Label = digit == "7" ? "seven" : "nine" });
                count++;
            }
        for (int i = 0; i < givenSamples; i++, count++)
            a.Source.Add(AgentTestData.Sample(0, random), label: "heard-from-the-fleet");
        Assert.All(a.WaitForResults(count), r => Assert.Equal(AgentOutcome.Learned, r.Outcome));
        if (config.Sync is null)
            return;
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (a.Agent.Device.PendingOutboxRows > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.Equal(0, a.Agent.Device.PendingOutboxRows);
    }
}
