using EdgeCL.Core.Rollout;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Tests.Rollout;

public class ExemplarStoreTests
{
    private static readonly EmbeddingSpace Space = new("aa", 4);
    private const int InputBytes = 100;
    // Each exemplar costs 100 + 4·4 + 2·1 + 64 = 182 bytes with a one-character label.
    private const long ExemplarBytes = InputBytes + 16 + 2 + Exemplar.OverheadBytes;

    private static ExemplarStore Store(int exemplars, long seed = 0) =>
        new(Space, new ExemplarStoreOptions { BudgetBytes = exemplars * ExemplarBytes, Seed = seed });

    private static ExemplarChange Add(ExemplarStore store, string label, int value) =>
        store.Add(label, Enumerable.Repeat((byte)value, InputBytes).ToArray(), [value, 1, 2, 3]);

    [Fact]
    public void Add_OverBudget_EvictsFromTheLargestClassAndStaysWithinBudget()
    {
        ExemplarStore store = Store(10);
        var stored = new HashSet<long>();
        for (int i = 0; i < 30; i++)
            Track(stored, Add(store, "a", i));
        Assert.Equal(10, store.Count);
        for (int i = 0; i < 5; i++)
        {
            Track(stored, Add(store, "b", 100 + i));
            Assert.True(store.TotalBytes <= store.Options.BudgetBytes);
        }
        // Class-balanced: the late, small class keeps all 5 of its exemplars and the large one gives up 5 slots.
        Assert.Equal(5, store.ExemplarsOf("b").Count);
        Assert.Equal(5, store.ExemplarsOf("a").Count);
        Assert.Equal(10 * ExemplarBytes, store.TotalBytes);
        // The changes reported are exactly the store's content (what a database mirrors).
        Assert.Equal(stored.Order(), store.All().Select(e => e.Sequence).Order());
    }

    [Fact]
    public void Add_SameArrivalsAndSeed_KeepTheSameExemplars()
    {
        ExemplarStore first = Store(6, seed: 3), second = Store(6, seed: 3), other = Store(6, seed: 4);
        foreach (ExemplarStore store in new[] { first, second, other })
            for (int i = 0; i < 40; i++)
                Add(store, i % 3 == 0 ? "a" : "b", i);
        Assert.Equal(first.All().Select(e => e.Sequence), second.All().Select(e => e.Sequence));
        Assert.NotEqual(first.All().Select(e => e.Sequence), other.All().Select(e => e.Sequence));
        Assert.Equal(3, first.ExemplarsOf("a").Count);
    }

    [Fact]
    public void Add_ExemplarLargerThanTheBudget_RefusedAndStoreUnchanged()
    {
        ExemplarStore store = Store(2);
        Add(store, "a", 1);
        var error = Assert.Throws<RolloutException>(() => store.Add("a", new byte[1000], [0, 0, 0, 0]));
        Assert.Contains("more than the whole exemplar budget", error.Message);
        Assert.Equal(1, store.Count);
        Assert.Equal(2, store.NextSequence);
    }

    [Fact]
    public void Add_BadEmbeddingOrInput_RefusedAndStoreUnchanged()
    {
        ExemplarStore store = Store(4);
        Assert.Throws<RolloutException>(() => store.Add("a", new byte[10], [1, 2, 3]));
        Assert.Throws<RolloutException>(() => store.Add("a", new byte[10], [1, float.NaN, 3, 4]));
        Assert.Throws<RolloutException>(() => store.Add("a", [], [1, 2, 3, 4]));
        Assert.Throws<RolloutException>(() => store.Add(" ", new byte[10], [1, 2, 3, 4]));
        Assert.Equal(0, store.Count);
        Assert.Equal(1, store.NextSequence);
    }

    [Fact]
    public void Add_BudgetZero_StoresNothing()
    {
        var store = new ExemplarStore(Space, new ExemplarStoreOptions { BudgetBytes = 0 });
        Assert.Same(ExemplarChange.None, Add(store, "a", 1));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void Restore_OverBudget_RefusedWithOneLine()
    {
        ExemplarStore source = Store(3);
        for (int i = 0; i < 3; i++)
            Add(source, "a", i);
        ExemplarStore smaller = Store(2);
        Exemplar[] all = source.All().ToArray();
        smaller.Restore(all[0]);
        smaller.Restore(all[1]);
        var error = Assert.Throws<RolloutException>(() => smaller.Restore(all[2]));
        Assert.Contains("more than the exemplar budget", error.Message);
        Assert.Equal(2, smaller.Count);
        Assert.Throws<RolloutException>(() => Store(5).Restore(all[0] with { Sequence = 0 }));
        ExemplarStore duplicate = Store(5);
        duplicate.Restore(all[0]);
        Assert.Throws<RolloutException>(() => duplicate.Restore(all[0]));
    }

    [Fact]
    public void Restore_AnyOrder_KeepsArrivalOrderAndTheNextSequence()
    {
        ExemplarStore source = Store(5);
        for (int i = 0; i < 5; i++)
            Add(source, "a", i);
        ExemplarStore copy = Store(5);
        foreach (Exemplar exemplar in source.All().Reverse())
            copy.Restore(exemplar);
        Assert.Equal(source.All().Select(e => e.Sequence), copy.All().Select(e => e.Sequence));
        Assert.Equal(source.NextSequence, copy.NextSequence);
    }

    [Fact]
    public void Forget_DropsTheClassAndReportsItsSequences()
    {
        ExemplarStore store = Store(10);
        Add(store, "a", 1);
        Add(store, "b", 2);
        Add(store, "a", 3);
        Assert.Equal([1L, 3L], store.Forget("a"));
        Assert.Empty(store.ExemplarsOf("a"));
        Assert.Equal(1, store.Count);
        Assert.Empty(store.Forget("missing"));
    }

    [Fact]
    public void Rebase_LargerEmbeddings_EvictsToTheBudget()
    {
        ExemplarStore store = Store(4);
        for (int i = 0; i < 4; i++)
            Add(store, i % 2 == 0 ? "a" : "b", i);
        var larger = new EmbeddingSpace("bb", 40); // +144 bytes per exemplar: only 2 of 4 fit
        (ExemplarStore rebased, IReadOnlyList<long> evicted) = store.Rebase(larger, new float[4 * 40]);
        Assert.Equal(2, evicted.Count);
        Assert.Equal(2, rebased.Count);
        Assert.Single(rebased.ExemplarsOf("a"));
        Assert.True(rebased.TotalBytes <= rebased.Options.BudgetBytes);
        Assert.Equal(4, store.Count); // the old store is untouched
        Assert.Throws<RolloutException>(() => store.Rebase(larger, new float[3 * 40]));
    }

    private static void Track(HashSet<long> stored, ExemplarChange change)
    {
        if (change.Stored is { } exemplar)
            stored.Add(exemplar.Sequence);
        foreach (long sequence in change.Evicted)
            Assert.True(stored.Remove(sequence));
    }
}
