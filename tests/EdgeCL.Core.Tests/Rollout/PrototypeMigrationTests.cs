using EdgeCL.Core.Memory;
using EdgeCL.Core.Rollout;
using EdgeCL.Core.Vectors;
using static EdgeCL.Core.Tests.Rollout.LinearAlgebra;

namespace EdgeCL.Core.Tests.Rollout;

/// <summary>
/// A world where the new backbone is a known linear function of the old one (new = W·old + b, W with orthonormal columns
/// scaled by 2), so every migrated prototype has an exact answer: the mean of the class's examples in the new space.
/// </summary>
public class PrototypeMigrationTests
{
    private const int P = 6, Q = 9;
    private static readonly EmbeddingSpace Old = new("aa", P), New = new("bb", Q);
    private readonly Random _rng = new(11);
    private readonly float[] _w, _b;

    public PrototypeMigrationTests()
    {
        _w = OrthonormalColumns(_rng, Q, P).Select(x => 2f * x).ToArray();
        _b = RandomRows(_rng, 1, Q);
    }

    private float[] NewOf(ReadOnlySpan<float> old) => Apply(_w, _b, Q, P, old.ToArray());

    /// <summary>Teaches each class its examples (old space) and keeps the first <paramref name="kept"/>[c] as exemplars.</summary>
    private (PrototypeMemory Memory, ExemplarStore Store, Dictionary<string, List<float[]>> Examples) Teach(int[] counts, int[] kept)
    {
        var memory = new PrototypeMemory(Old);
        var store = new ExemplarStore(Old, new ExemplarStoreOptions { BudgetBytes = 1 << 20 });
        var examples = new Dictionary<string, List<float[]>>();
        for (int c = 0; c < counts.Length; c++)
        {
            string label = $"class{c}";
            examples[label] = [];
            float[] centre = RandomRows(_rng, 1, P, 3f);
            for (int i = 0; i < counts[c]; i++)
            {
                float[] x = centre.Zip(RandomRows(_rng, 1, P), (m, e) => m + e).ToArray();
                examples[label].Add(x);
                memory.Add(label, x);
                if (i < kept[c])
                    store.Add(label, [(byte)c, (byte)i], x);
            }
        }
        return (memory, store, examples);
    }

    /// <summary>The "new backbone": exemplar inputs are looked up by their bytes (class, index).</summary>
    private float[] Reembed(ExemplarStore store, Dictionary<string, List<float[]>> examples) =>
        PrototypeMigration.Reembed(store, New, (exemplar, destination) =>
            NewOf(examples[exemplar.Label][exemplar.Input[1]]).CopyTo(destination));

    private float[] TrueNewMean(List<float[]> examples)
    {
        var mean = new float[Q];
        foreach (float[] x in examples)
        {
            float[] y = NewOf(x);
            for (int j = 0; j < Q; j++)
                mean[j] += y[j] / examples.Count;
        }
        return mean;
    }

    [Fact]
    public void Migrate_ExemplarsBlendAndMapped_EachMatchesTheTrueNewMean()
    {
        // class0 kept every example, class1 kept 4 of 20, class2 none: three paths, one exact answer each.
        var (memory, store, examples) = Teach([10, 20, 15], [10, 4, 0]);
        float[] rows = Reembed(store, examples);
        SpaceMap map = PrototypeMigration.FitMap(store, rows, New, [], []);

        MigrationResult result = PrototypeMigration.Migrate(memory, store, rows, New, map);

        Assert.Equal(New, result.Memory.Space);
        Assert.Equal([ClassMigrationSource.Exemplars, ClassMigrationSource.Blend, ClassMigrationSource.Mapped], result.Classes.Select(c => c.Source));
        Assert.Equal([10L, 20L, 15L], result.Classes.Select(c => c.Count));
        for (int c = 0; c < 3; c++)
        {
            string label = $"class{c}";
            int index = result.Memory.IndexOf(label);
            double error = MaxAbsDifference(result.Memory.MeanAt(index), TrueNewMean(examples[label]));
            Assert.True(error < 1e-4, $"{label}: new mean off by {error}");
            Assert.Equal(memory.SummaryAt(memory.IndexOf(label)).Version + 1, result.Memory.SummaryAt(index).Version);
        }
        Assert.Equal("3 classes: 1 from exemplars, 1 blended, 1 mapped", result.Describe());
        Assert.Equal(14, result.Exemplars.Count);
        Assert.Equal(New, result.Exemplars.Space);
    }

    [Fact]
    public void Migrate_ExemplarsOnly_ClaimsOnlyTheExemplarCount()
    {
        var (memory, store, examples) = Teach([20, 8], [4, 2]);
        float[] rows = Reembed(store, examples);
        MigrationResult result = PrototypeMigration.Migrate(memory, store, rows, New, map: null, MigrationMode.ExemplarsOnly);
        Assert.Equal([4L, 2L], result.Classes.Select(c => c.Count));
        Assert.Equal(6, result.Memory.TotalCount);
        var firstFour = TrueNewMean(examples["class0"].Take(4).ToList());
        Assert.True(MaxAbsDifference(result.Memory.MeanAt(result.Memory.IndexOf("class0")), firstFour) < 1e-4);
    }

    [Fact]
    public void Migrate_CarriesTombstones()
    {
        var (memory, store, examples) = Teach([10, 10], [10, 10]);
        memory.Forget("class1");
        store.Forget("class1");
        MigrationResult result = PrototypeMigration.Migrate(memory, store, Reembed(store, examples), New, map: null);
        Assert.Equal(1, result.Memory.ClassCount);
        Assert.True(result.Memory.Tombstones.ContainsKey("class1"));
    }

    [Fact]
    public void Migrate_BadInput_OneLineAndOldStateUnchanged()
    {
        var (memory, store, examples) = Teach([10, 12], [3, 0]);
        float[] rows = Reembed(store, examples);
        float[] meanBefore = memory.MeanAt(1).ToArray();
        int exemplarsBefore = store.Count;

        var noMap = Assert.Throws<RolloutException>(() => PrototypeMigration.Migrate(memory, store, rows, New, map: null));
        Assert.Contains("Class 'class1' has no exemplars and no map", noMap.Message);

        var sameSpace = Assert.Throws<RolloutException>(() => PrototypeMigration.Migrate(memory, store, rows, Old, map: null));
        Assert.Contains("already in space", sameSpace.Message);

        var rng = new Random(3);
        SpaceMap otherPair = SpaceMap.Fit(new EmbeddingSpace("cc", P), New, RandomRows(rng, 10, P), RandomRows(rng, 10, Q));
        Assert.Contains("fit a map for this pair", Assert.Throws<RolloutException>(() => PrototypeMigration.Migrate(memory, store, rows, New, otherPair)).Message);

        float[] broken = rows.ToArray();
        broken[2] = float.NaN;
        Assert.Contains("NaN", Assert.Throws<RolloutException>(() => PrototypeMigration.Migrate(memory, store, broken, New, map: null, MigrationMode.ExemplarsOnly)).Message);
        Assert.Throws<RolloutException>(() => PrototypeMigration.Migrate(memory, store, rows.AsSpan(1).ToArray(), New, map: null));

        // Too few pairs for a map: 3 exemplars and no calibration inputs.
        Assert.Contains("at least 8", Assert.Throws<RolloutException>(() => PrototypeMigration.FitMap(store, rows, New, [], [])).Message);

        Assert.Equal(meanBefore, memory.MeanAt(1).ToArray());
        Assert.Equal(Old, memory.Space);
        Assert.Equal(exemplarsBefore, store.Count);
    }

    [Fact]
    public void FitMap_CalibrationPairs_CoverClassesWithoutExemplars()
    {
        // No exemplars at all: the map comes from unlabelled calibration inputs embedded by both backbones.
        var (memory, store, examples) = Teach([10, 12], [0, 0]);
        float[] calibration = RandomRows(_rng, 20, P, 3f);
        float[] calibrationNew = Apply(_w, _b, Q, P, calibration);
        SpaceMap map = PrototypeMigration.FitMap(store, [], New, calibration, calibrationNew);
        MigrationResult result = PrototypeMigration.Migrate(memory, store, [], New, map);
        Assert.All(result.Classes, c => Assert.Equal(ClassMigrationSource.Mapped, c.Source));
        Assert.True(MaxAbsDifference(result.Memory.MeanAt(1), TrueNewMean(examples["class1"])) < 1e-4);
    }

    [Fact]
    public void Reembed_BackboneWritesNaN_Refused()
    {
        var (_, store, _) = Teach([3], [3]);
        var error = Assert.Throws<RolloutException>(() => PrototypeMigration.Reembed(store, New, (_, d) => d.Fill(float.NaN)));
        Assert.Contains("NaN", error.Message);
    }
}
