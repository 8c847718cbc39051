using EdgeCL.Core.Rollout;
using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using EdgeCL.Device.Rollout;
using EdgeCL.Device.Sources;
using EdgeCL.Device.Tests.Agent;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;
using EdgeCL.Storage.State;

namespace EdgeCL.Device.Tests.Rollout;

/// <summary>The agent keeps raw exemplars when it learns (learner.exemplar_budget_mb), durably, in a form the backbone can embed again.</summary>
public sealed class AgentExemplarTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-exemplars-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Learned_files_are_kept_across_a_restart_and_re_embed_to_the_same_vectors()
    {
        string state = Path.Combine(_dir, "state");
        DeviceConfig config = AgentTestData.Config("dev-x", state);
        config.Learner.ExemplarBudgetMb = 1;
        string[] files = Enumerable.Range(0, 6).Select(i =>
        {
            string digit = i % 2 == 0 ? "7" : "9";
            string path = Path.Combine(_dir, $"{digit}_{i}.pgm");
            File.Copy(Path.Combine(AgentTestData.Models, "digits", "samples", $"{digit}_0000.pgm"), path);
            return path;
        }).ToArray();

        await using (RunningAgent a = await RunningAgent.StartAsync(config, _dir))
        {
            foreach (string file in files)
                a.Source.Add(new InputSample { Source = "queue", Origin = Path.GetFileName(file), FilePath = file, Label = Path.GetFileName(file)[..1] == "7" ? "seven" : "nine" });
            a.Source.Add(AgentTestData.Sample(0, new Random(1)), label: "given"); // an embedding alone has no input to keep
            Assert.All(a.WaitForResults(7), r => Assert.Equal(AgentOutcome.Learned, r.Outcome));
            Assert.Equal(6, a.Agent.ExemplarCount);
        }
        await using (RunningAgent again = await RunningAgent.StartAsync(config, _dir))
        {
            Assert.Equal(6, again.Agent.ExemplarCount);
            Assert.Contains("exemplars: 6 kept for 2 class(es)", again.LogText);
        }

        using IEmbeddingBackbone digits = BackboneCatalog.Open("digits", new EdgeCL.Onnx.Sessions.SessionOptionsSpec(), modelsRoot: AgentTestData.Models);
        using StateStore store = StateStore.Open(Path.Combine(state, "state.db"), digits.Space, "dev-x");
        ExemplarStore kept = store.LoadExemplars(new ExemplarStoreOptions { BudgetBytes = 1 << 20 });
        var again2 = new float[digits.Space.Dimension];
        foreach (Exemplar exemplar in kept.All())
        {
            ExemplarInput.Embed(digits, exemplar.Input, again2, _dir);
            Assert.Equal(exemplar.Embedding, again2);
        }
        Assert.Equal(["nine", "seven"], kept.Labels);
    }

    [Fact]
    public void A_damaged_exemplar_input_is_refused_with_one_line()
    {
        using IEmbeddingBackbone digits = BackboneCatalog.Open("digits", new EdgeCL.Onnx.Sessions.SessionOptionsSpec(), modelsRoot: AgentTestData.Models);
        var embedding = new float[digits.Space.Dimension];
        Assert.Contains("unknown form", Assert.Throws<InputFormatException>(() => ExemplarInput.Embed(digits, [9, 1, 2], embedding, _dir)).Message);
        Assert.Contains("cannot be embedded by backbone 'digits'", Assert.Throws<InputFormatException>(() => ExemplarInput.Embed(digits, [1, 0, 0], embedding, _dir)).Message);
        byte[] escape = [2, 4, (byte)'/', (byte)'.', (byte)'.', (byte)'/', 0];
        Assert.Contains("not a plain file extension", Assert.Throws<InputFormatException>(() => ExemplarInput.Embed(digits, escape, embedding, _dir)).Message);
    }
}
