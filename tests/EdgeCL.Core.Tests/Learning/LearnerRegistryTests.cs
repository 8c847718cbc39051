using EdgeCL.Core.Learning;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Tests.Learning;

public class LearnerRegistryTests
{
    private static readonly EmbeddingSpace Space = new("00000000000000cd", 4);

    [Fact]
    public void Create_UnknownName_ListsTheKnownOnes()
    {
        var ex = Assert.Throws<ArgumentException>(() => LearnerRegistry.CreateDefault().Create("adanpc-typo", Space));
        Assert.Equal("Unknown method 'adanpc-typo'; known methods: ncm, ncm-centred, knn, ncm-test-centred, adanpc, adanpc-test-centred, t3a, t3a-test-centred, meta-adapter, meta-adapter-test-centred, lame, lame-test-centred.", ex.Message);
    }

    [Fact]
    public void Validate_UnknownParameter_ListsTheKnownOnes()
    {
        var options = new LearnerOptions { Parameters = new Dictionary<string, string> { ["knn.kk"] = "3" } };
        var ex = Assert.Throws<ArgumentException>(() => LearnerRegistry.CreateDefault().Validate(["knn"], options));
        Assert.Contains("Unknown parameter 'knn.kk'", ex.Message);
        Assert.Contains("knn.k", ex.Message);
    }

    [Fact]
    public void Register_NewLearner_ResolvesByNameWithoutOtherChanges()
    {
        var registry = LearnerRegistry.CreateDefault();
        registry.Register(new LearnerDescriptor("ncm-copy", "test", (space, options) => new NcmLearner(space, CentringMode.None, options),
            new Dictionary<string, string>(), Adapts: false));
        Assert.Equal("ncm", registry.Create("ncm-copy", Space).Name);
        Assert.Throws<ArgumentException>(() => registry.Register(registry.Get("ncm")));
    }

    [Fact]
    public void NcmCentred_SharedOffset_CentringSeparatesWhatPlainCosineBlurs()
    {
        // Two classes along a large common direction: raw cosines are ~1 for both, CL2N separates them.
        float[] a = [10f, 1f, 0f, 0f], b = [10f, -1f, 0f, 0f], query = [10f, 0.2f, 0f, 0f];
        var centred = new NcmLearner(Space, CentringMode.LabelledMean);
        var plain = new NcmLearner(Space, CentringMode.None);
        foreach (IStreamLearner l in new IStreamLearner[] { centred, plain })
        {
            l.Learn("a", a);
            l.Learn("b", b);
        }
        Assert.Equal("a", centred.Predict(query).Label);
        Assert.True(centred.Predict(query).Margin > plain.Predict(query).Margin);
        Assert.Equal(centred.Predict(query), centred.Observe(query));
    }

    [Fact]
    public void Knn_OneNeighbour_PicksNearestExampleAndForgets()
    {
        var knn = new KnnLearner(Space);
        knn.Learn("a", [1f, 0f, 0f, 0f]);
        knn.Learn("a", [0f, 0f, 1f, 0f]);
        knn.Learn("b", [0f, 1f, 0f, 0f]);
        knn.Learn("b", [0f, 0f, 0f, 1f]);
        Assert.Equal("a", knn.Predict([0.1f, 0f, 0.9f, 0f]).Label);
        Assert.Equal("b", knn.Predict([0f, 0.1f, 0f, 0.9f]).Label);
        Assert.True(knn.Forget("a"));
        Assert.Equal(1, knn.ClassCount);
        Assert.Equal("b", knn.Predict([0.1f, 0f, 0.9f, 0f]).Label);
        Assert.False(knn.Forget("a"));
    }
}
