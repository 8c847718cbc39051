using EdgeCL.Core.Errors;
using EdgeCL.Core.Rollout;
using EdgeCL.Core.Vectors;
using EdgeCL.Storage.State;

namespace EdgeCL.Storage.Tests.State;

public sealed class ExemplarPersistenceTests : IDisposable
{
    private static readonly EmbeddingSpace Space = new("5ace0001", 4);
    private readonly TempFolder _folder = new();
    private string Db => _folder.File("state.db");

    public void Dispose() => _folder.Dispose();

    private static ExemplarStoreOptions Budget(int exemplars) => new() { BudgetBytes = exemplars * (50 + 16 + 2 + Exemplar.OverheadBytes) };

    private static ExemplarChange Add(ExemplarStore store, string label, int value) =>
        store.Add(label, Enumerable.Repeat((byte)value, 50).ToArray(), [value, -value, 0.5f, 1]);

    [Fact]
    public void CommitExemplars_EachChange_ReopenedStoreEqualsTheLiveOne()
    {
        var live = new ExemplarStore(Space, Budget(5));
        using (StateStore store = StateStore.Open(Db, Space, "dev"))
        {
            for (int i = 0; i < 12; i++)
                store.CommitExemplars(Add(live, i % 4 == 0 ? "b" : "a", i));
            store.CommitExemplars(new ExemplarChange(null, live.Forget("b")));
        }
        using (StateStore store = StateStore.Open(Db, Space, "dev"))
        {
            ExemplarStore loaded = store.LoadExemplars(Budget(5));
            Assert.Equal(live.All().Select(e => (e.Sequence, e.Label)), loaded.All().Select(e => (e.Sequence, e.Label)));
            Assert.All(loaded.All().Zip(live.All()), pair =>
            {
                Assert.Equal(pair.Second.Input, pair.First.Input);
                Assert.Equal(pair.Second.Embedding, pair.First.Embedding);
            });
            Assert.Equal(live.NextSequence, loaded.NextSequence);
            Assert.Empty(loaded.ExemplarsOf("b"));
        }
    }

    [Fact]
    public void LoadExemplars_BudgetLowered_OneLineAndTableUnchanged()
    {
        var live = new ExemplarStore(Space, Budget(4));
        using StateStore store = StateStore.Open(Db, Space, "dev");
        for (int i = 0; i < 4; i++)
            store.CommitExemplars(Add(live, "a", i));
        var error = Assert.Throws<RolloutException>(() => store.LoadExemplars(Budget(2)));
        Assert.Contains("more than the exemplar budget", error.Message);
        Assert.Equal(4, store.LoadExemplars(Budget(4)).Count);
    }

    [Fact]
    public void ReplaceExemplars_StoreOfAnotherSpace_Refused()
    {
        using StateStore store = StateStore.Open(Db, Space, "dev");
        var other = new ExemplarStore(new EmbeddingSpace("0dd", 4));
        Assert.Throws<EmbeddingException>(() => store.ReplaceExemplars(other));
        var live = new ExemplarStore(Space, Budget(4));
        Add(live, "a", 1);
        Add(live, "c", 2);
        store.ReplaceExemplars(live);
        Assert.Equal(2, store.LoadExemplars(Budget(4)).Count);
    }
}
