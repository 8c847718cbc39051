namespace EdgeCL.Core.Evaluation;

/// <summary>Everything recorded while one method ran over one stream: evaluation points, online predictions, latencies.</summary>
public sealed class MethodRun
{
    internal MethodRun(string name, EvaluationStream stream)
    {
        Name = name;
        Stream = stream;
        OnlineCorrectByDomain = new long[stream.Domains.Count];
        OnlineTotalByDomain = new long[stream.Domains.Count];
        OnlineCorrectByTask = new long[stream.Tasks.Count];
        OnlineTotalByTask = new long[stream.Tasks.Count];
    }

    /// <summary>The method's name.</summary>
    public string Name { get; }

    /// <summary>The stream it ran on.</summary>
    public EvaluationStream Stream { get; }

    /// <summary>Continual evaluations, in stream order.</summary>
    public List<EvaluationPoint> Points { get; } = [];

    /// <summary>Online (pre-update) correct predictions on unlabelled steps, per domain.</summary>
    public long[] OnlineCorrectByDomain { get; }

    /// <summary>Unlabelled steps per domain.</summary>
    public long[] OnlineTotalByDomain { get; }

    /// <summary>Online correct predictions per task (a condition in one round).</summary>
    public long[] OnlineCorrectByTask { get; }

    /// <summary>Unlabelled steps per task.</summary>
    public long[] OnlineTotalByTask { get; }

    /// <summary>Steps at which the learner reported a detected shift (<see cref="Learning.IShiftDetecting"/>).</summary>
    public List<int> ShiftDetectionSteps { get; } = [];

    /// <summary>For every unlabelled step, in order: its step index and whether the online prediction was right.</summary>
    public List<(int Step, bool Correct)> Online { get; } = [];

    /// <summary>Latency of the learner stages (learn, predict, adaptation).</summary>
    public Dictionary<string, LatencyRecorder> Latency { get; } = new(StringComparer.Ordinal);

    /// <summary>Steps applied (all of them unless cancelled).</summary>
    public int StepsCompleted { get; internal set; }

    /// <summary>True when every step ran.</summary>
    public bool Completed => StepsCompleted == Stream.Steps.Count;

    internal LatencyRecorder Recorder(string stage)
    {
        if (!Latency.TryGetValue(stage, out LatencyRecorder? r))
            Latency[stage] = r = new LatencyRecorder();
        return r;
    }
}
