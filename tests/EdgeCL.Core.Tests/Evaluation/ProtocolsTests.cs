using EdgeCL.Core.Evaluation;

namespace EdgeCL.Core.Tests.Evaluation;

public class ProtocolsTests
{
    private static readonly string[] Clean = ["clean"];

    [Fact]
    public void Build_ClassIncremental_KShotsPerClassPerTaskAndDisjointHeldOut()
    {
        var pool = TestStreams.Items(classes: 6, perClass: 10);
        EvaluationStream s = Protocols.Build(pool, null, Clean, [0], new ProtocolOptions { Shots = 3, Tasks = 3, Holdout = 0.3, Seed = 5 });
        Assert.Equal(3, s.Tasks.Count);
        Assert.Equal(3, s.Sets.Count);
        foreach (var group in s.Steps.Where(x => x.Labelled).GroupBy(x => s.Samples[x.Sample].Label))
            Assert.Equal(3, group.Count());
        // Each task teaches exactly its two classes, and its held-out set holds only those classes.
        for (int t = 0; t < 3; t++)
        {
            var taught = s.Steps.Where(x => x.Labelled && x.Task == t).Select(x => s.Samples[x.Sample].Label).Distinct().ToList();
            Assert.Equal(2, taught.Count);
            Assert.All(s.Sets[t].Samples, i => Assert.Contains(s.Samples[i].Label, taught));
        }
        var streamed = s.Steps.Select(x => s.Samples[x.Sample].Item).ToHashSet();
        var heldOut = s.Sets.SelectMany(x => x.Samples).Select(i => s.Samples[i].Item).ToHashSet();
        Assert.Empty(streamed.Intersect(heldOut));
        Assert.Equal(60, streamed.Count + heldOut.Count);
    }

    [Fact]
    public void Build_SameSeed_SameStream_OtherSeed_Differs()
    {
        var pool = TestStreams.Items(4, 12);
        var options = new ProtocolOptions { Kind = ProtocolKind.DomainShift, Shots = 2, Seed = 9 };
        string[] domains = ["clean", "noise"];
        EvaluationStream a = Protocols.Build(pool, null, domains, [0, 1], options);
        EvaluationStream b = Protocols.Build(pool, null, domains, [0, 1], options);
        EvaluationStream c = Protocols.Build(pool, null, domains, [0, 1], options with { Seed = 10 });
        Assert.Equal(a.Steps.Select(x => a.Samples[x.Sample]), b.Steps.Select(x => b.Samples[x.Sample]));
        Assert.NotEqual(a.Steps.Select(x => a.Samples[x.Sample]), c.Steps.Select(x => c.Samples[x.Sample]));
    }

    [Fact]
    public void Build_DomainShiftWithRounds_SupportThenEveryDomainPerRound()
    {
        var pool = TestStreams.Items(3, 10);
        string[] domains = ["clean", "a", "b"];
        EvaluationStream s = Protocols.Build(pool, null, domains, [1, 2], new ProtocolOptions { Kind = ProtocolKind.DomainShift, Shots = 2, Rounds = 2, Holdout = 0.2 });
        Assert.Equal(["support", "a#1", "b#1", "a#2", "b#2"], s.Tasks);
        Assert.All(s.Steps.Where(x => x.Task == 0), x => Assert.True(x.Labelled));
        Assert.All(s.Steps.Where(x => x.Task > 0), x => Assert.False(x.Labelled));
        Assert.All(s.Steps.Where(x => x.Task is 1 or 3), x => Assert.Equal(1, s.Samples[x.Sample].Domain));
        // The source's held-out set is evaluated from the start; each domain's from its first task.
        Assert.Equal([("clean", 0), ("a", 1), ("b", 2)], s.Sets.Select(x => (x.Name, x.Task)));
    }

    [Fact]
    public void Build_HoldoutZero_EvaluatesOnTheStreamedSamples()
    {
        var pool = TestStreams.Items(2, 8);
        var test = TestStreams.Items(2, 5).Select(p => p with { Item = p.Item + 100 }).ToList();
        EvaluationStream s = Protocols.Build(pool, test, ["clean", "x"], [0, 1], new ProtocolOptions { Kind = ProtocolKind.DomainShift, Shots = 3, Holdout = 0 });
        var streamedInX = s.Steps.Where(x => !x.Labelled && s.Samples[x.Sample].Domain == 1).Select(x => x.Sample).Order();
        Assert.Equal(streamedInX, s.Sets.Single(x => x.Name == "x").Samples.Order());
        Assert.Equal(10, streamedInX.Count());
    }

    [Fact]
    public void Build_ShotsLargerThanClass_OneLineErrorNamingTheClass()
    {
        var pool = TestStreams.Items(3, 4);
        var ex = Assert.Throws<ArgumentException>(() => Protocols.Build(pool, null, Clean, [0], new ProtocolOptions { Shots = 5 }));
        Assert.Contains("Class 'c0' has 4 labelled sample(s)", ex.Message);
        Assert.Contains("--shots is 5", ex.Message);
    }

    [Fact]
    public void Build_Mixed_TaskDomainsCycleAndStreamSeenClasses()
    {
        var pool = TestStreams.Items(4, 10);
        EvaluationStream s = Protocols.Build(pool, null, ["clean", "a"], [0, 1], new ProtocolOptions { Kind = ProtocolKind.Mixed, Shots = 2, Tasks = 2, Holdout = 0.2 });
        Assert.Equal(2, s.Tasks.Count);
        Assert.All(s.Steps.Where(x => x.Task == 1 && !x.Labelled), x => Assert.Equal(1, s.Samples[x.Sample].Domain));
        // Task 2 streams all four classes (old ones under the new shift).
        Assert.Equal(4, s.Steps.Where(x => x.Task == 1 && !x.Labelled).Select(x => s.Samples[x.Sample].Label).Distinct().Count());
    }
}
