using EdgeCL.Core.Memory;
using EdgeCL.Core.Serialization;
using EdgeCL.Core.Vectors;
using EdgeCL.Storage.Errors;
using EdgeCL.Storage.State;
using Xunit.Abstractions;

namespace EdgeCL.Storage.Tests.State;

public class DiskFullTests(ITestOutputHelper output)
{
    private static readonly EmbeddingSpace Space = new("d15cf011", 256);
    private static readonly PrototypeMemoryOptions Options = new() { Centring = CentringMode.None, MaxClasses = 100_000 };

    [TmpfsFact]
    public void Commit_DiskFills_ThrowsOneLineIOExceptionAndKeepsPreviousState()
    {
        using TmpfsMount mount = TmpfsMount.TryCreate(384, out string reason) ?? throw new InvalidOperationException(reason);
        string db = Path.Combine(mount.Path, "state.db");
        byte[] lastGood;
        long committed = 0;
        StateStoreException? failure = null;
        using (StateStore store = StateStore.Open(db, Space, "dev"))
        {
            PrototypeMemory memory = store.LoadMemory(Options);
            lastGood = PrototypeMemorySerializer.Serialize(memory);
            var rng = new Random(11);
            while (failure is null && committed < 100_000)
            {
                string label = $"c{committed}";
                memory.Add(label, Enumerable.Range(0, Space.Dimension).Select(_ => (float)rng.NextDouble()).ToArray());
                try
                {
                    store.Commit(memory, [label], [new byte[300]]);
                    lastGood = PrototypeMemorySerializer.Serialize(memory);
                    committed++;
                }
                catch (StateStoreException ex)
                {
                    failure = ex;
                }
            }
            Assert.NotNull(failure);
            output.WriteLine($"{committed} commits fit; then: {failure.Message}");
            Assert.IsAssignableFrom<IOException>(failure);
            Assert.Equal(StateStoreFailure.DiskFull, failure.Failure);
            Assert.DoesNotContain('\n', failure.Message);
            Assert.Contains("free space", failure.Message);
            // The same open store still reads the previous state: the failed transaction left nothing behind.
            Assert.Equal(lastGood, PrototypeMemorySerializer.Serialize(store.LoadMemory(Options)));
            Assert.Equal(committed, store.OutboxCount);
        }
        // And so does a fresh open on the still-full disk.
        using (StateStore store = StateStore.Open(db, Space, "dev"))
        {
            Assert.Equal(lastGood, PrototypeMemorySerializer.Serialize(store.LoadMemory(Options)));
            Assert.Equal(committed, store.OutboxCount);
        }
    }
}
