using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Learning;
using EdgeCL.Core.Memory;

namespace EdgeCL.Core.Tests.Evaluation;

public class StreamEvaluatorTests
{
    private static EvaluationStream DomainStream() =>
        Protocols.Build(TestStreams.Items(3, 10), null, ["clean", "a"], [0, 1],
            new ProtocolOptions { Kind = ProtocolKind.DomainShift, Shots = 2, Holdout = 0.3, Seed = 3 });

    [Fact]
    public void Run_UnlabelledSteps_CountsThePredictionMadeBeforeTheUpdate()
    {
        EvaluationStream stream = DomainStream();
        var learner = new TestStreams.SpyLearner();
        MethodRun run = new StreamEvaluator(0).Run(stream, new EvaluationMethod("spy", learner, new TestStreams.SyntheticSource(stream)));
        // The first unlabelled prediction is the clean NCM's (right); every later one is sabotaged (wrong).
        Assert.True(run.Online[0].Correct);
        Assert.All(run.Online.Skip(1), o => Assert.False(o.Correct));
        Assert.Equal(stream.Steps.Count(s => !s.Labelled), learner.Calls.Count(c => c == "observe"));
        Assert.Equal(stream.Steps.Count(s => s.Labelled), learner.Calls.Count(c => c.StartsWith("learn:", StringComparison.Ordinal)));
    }

    [Fact]
    public void Run_HeldOutEvaluation_UsesEvaluatePurposeAndTaskEndRows()
    {
        EvaluationStream stream = DomainStream();
        var source = new TestStreams.SyntheticSource(stream);
        MethodRun run = new StreamEvaluator(5).Run(stream, new EvaluationMethod("ncm", new NcmLearner(TestStreams.Space, CentringMode.LabelledMean), source));
        Assert.Equal(stream.Tasks.Count, run.Points.Count(p => p.IsTaskEnd));
        Assert.Contains(EmbeddingPurpose.Evaluate, source.Purposes);
        Assert.Equal(stream.Steps.Count(s => !s.Labelled), source.Purposes.Count(p => p == EmbeddingPurpose.Observe));
        // Before task 1 starts, the 'a' set is not evaluated.
        Assert.All(run.Points.Where(p => p.Task == 0), p => Assert.Equal(-1, p.Correct[1]));
        MethodMetrics m = MethodMetrics.From(run, 10);
        Assert.Equal(1.0, m.Accuracy, 6); // separable synthetic classes
        Assert.Equal(0.0, m.OnlineErrorByDomain["a"], 6);
        Assert.True(m.Completed);
    }

    [Fact]
    public void Run_Cancelled_ReturnsThePartialRun()
    {
        EvaluationStream stream = DomainStream();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        MethodRun run = new StreamEvaluator(0).Run(stream, new EvaluationMethod("ncm", new NcmLearner(TestStreams.Space, CentringMode.None), new TestStreams.SyntheticSource(stream)),
            null, cts.Token);
        Assert.False(run.Completed);
        Assert.Equal(0, run.StepsCompleted);
    }
}
