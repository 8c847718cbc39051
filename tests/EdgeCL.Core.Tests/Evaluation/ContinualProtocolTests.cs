using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Learning;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Tests.Evaluation;

public class ContinualProtocolTests
{
    private static readonly string[] Domains = ["clean", "a", "b"];

    private static List<string> Order(EvaluationStream s, int task) =>
        s.Steps.Where(x => x.Task == task).Select(x => s.Samples[x.Sample].Label).ToList();

    [Fact]
    public void Build_Correlation_SameSeedSameOrder_LongRuns_EveryItemOnce()
    {
        var pool = TestStreams.Items(classes: 10, perClass: 30);
        var options = new ProtocolOptions { Kind = ProtocolKind.DomainShift, Shots = 2, Holdout = 0, Seed = 3, Correlation = 0.1 };
        EvaluationStream a = Protocols.Build(pool, null, Domains, [1, 2], options);
        EvaluationStream b = Protocols.Build(pool, null, Domains, [1, 2], options);
        EvaluationStream other = Protocols.Build(pool, null, Domains, [1, 2], options with { Seed = 4 });
        EvaluationStream shuffled = Protocols.Build(pool, null, Domains, [1, 2], options with { Correlation = 0 });
        Assert.Equal(a.Steps.Select(x => a.Samples[x.Sample]), b.Steps.Select(x => b.Samples[x.Sample]));
        Assert.NotEqual(a.Steps.Select(x => a.Samples[x.Sample]), other.Steps.Select(x => other.Samples[x.Sample]));
        Assert.Equal(0.1, a.Correlation);
        for (int task = 1; task <= 2; task++)
        {
            // The same items as the shuffled stream, in another order: a permutation, nothing lost or repeated.
            var items = a.Steps.Where(x => x.Task == task).Select(x => a.Samples[x.Sample].Item).Order().ToList();
            Assert.Equal(shuffled.Steps.Where(x => x.Task == task).Select(x => shuffled.Samples[x.Sample].Item).Order(), items);
            Assert.Equal(items.Count, items.Distinct().Count());
            Assert.True(LabelCorrelation.MeanRunLength(Order(a, task)) > 5, "Dirichlet 0.1 gives long runs of one class");
            Assert.True(LabelCorrelation.MeanRunLength(Order(shuffled, task)) < 1.5, "a shuffled order of 10 classes has runs of about 1.1");
        }
        // Large γ spreads each class: runs much shorter than with γ = 0.1.
        EvaluationStream spread = Protocols.Build(pool, null, Domains, [1, 2], options with { Correlation = 1000 });
        Assert.True(LabelCorrelation.MeanRunLength(Order(spread, 1)) < 0.5 * LabelCorrelation.MeanRunLength(Order(a, 1)));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1e-4)]
    [InlineData(5000)]
    [InlineData(double.NaN)]
    public void Validate_CorrelationOutOfRange_OneLineError(double correlation)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new ProtocolOptions { Correlation = correlation }.Validate());
        Assert.Contains("--correlation", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Build_Episodic_NeedsTwoConditions_AndIsNamed()
    {
        var pool = TestStreams.Items(3, 10);
        var e = Assert.Throws<ArgumentException>(() => Protocols.Build(pool, null, Domains, [1], new ProtocolOptions { Kind = ProtocolKind.Episodic, Shots = 2 }));
        Assert.Contains("two conditions", e.Message);
        EvaluationStream s = Protocols.Build(pool, null, Domains, [1, 2], new ProtocolOptions { Kind = ProtocolKind.Episodic, Shots = 2 });
        Assert.Equal("episodic", s.Protocol);
        Assert.True(s.ResetAtTaskStart);
        EvaluationStream c = Protocols.Build(pool, null, Domains, [1, 2], new ProtocolOptions { Kind = ProtocolKind.DomainShift, Shots = 2 });
        Assert.Equal("continual", c.Protocol);
        Assert.False(c.ResetAtTaskStart);
    }

    [Fact]
    public void Run_Episodic_ResetsAtEveryConditionAndReportsPerTaskOnlineError()
    {
        var pool = TestStreams.Items(3, 10);
        EvaluationStream s = Protocols.Build(pool, null, Domains, [1, 2], new ProtocolOptions { Kind = ProtocolKind.Episodic, Shots = 2, Rounds = 2, Holdout = 0 });
        var learner = new CountingLearner();
        MethodRun run = new StreamEvaluator(0).Run(s, new EvaluationMethod("count", learner, new TestStreams.SyntheticSource(s)));
        Assert.Equal(s.Tasks.Count - 1, learner.Resets); // before every task after the support
        MethodMetrics m = MethodMetrics.From(run, 2);
        Assert.Equal(["a#1", "b#1", "a#2", "b#2"], m.OnlineErrorByTask.Keys);

        var continual = new CountingLearner();
        new StreamEvaluator(0).Run(s with { ResetAtTaskStart = false }, new EvaluationMethod("count", continual, new TestStreams.SyntheticSource(s)));
        Assert.Equal(0, continual.Resets);
    }

    /// <summary>Nearest class mean that counts its resets.</summary>
    private sealed class CountingLearner : IStreamLearner
    {
        private readonly NcmLearner _inner = new(TestStreams.Space, CentringMode.LabelledMean);

        public int Resets { get; private set; }

        public string Name => "count";

        public EmbeddingSpace Space => TestStreams.Space;

        public int ClassCount => _inner.ClassCount;

        public void Learn(string label, ReadOnlySpan<float> embedding) => _inner.Learn(label, embedding);

        public Prediction Predict(ReadOnlySpan<float> embedding) => _inner.Predict(embedding);

        public Prediction Observe(ReadOnlySpan<float> embedding) => _inner.Observe(embedding);

        public void Reset() => Resets++;

        public bool Forget(string label) => _inner.Forget(label);
    }
}
