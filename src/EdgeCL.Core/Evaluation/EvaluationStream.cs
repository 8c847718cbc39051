namespace EdgeCL.Core.Evaluation;

/// <summary>A complete, ordered evaluation stream: samples, steps, tasks, held-out sets and the seed that made it.</summary>
/// <remarks>Built by <see cref="Protocols"/> or from a manifest; immutable; validated by <see cref="Validate"/>.</remarks>
public sealed record EvaluationStream
{
    /// <summary>Protocol name (class-incremental, continual, episodic, mixed, manifest).</summary>
    public required string Protocol { get; init; }

    /// <summary>The seed every random choice of this stream came from.</summary>
    public required long Seed { get; init; }

    /// <summary>Domain names; index 0 is the source domain.</summary>
    public required IReadOnlyList<string> Domains { get; init; }

    /// <summary>Task names, in stream order.</summary>
    public required IReadOnlyList<string> Tasks { get; init; }

    /// <summary>Every sample that steps and sets refer to.</summary>
    public required IReadOnlyList<StreamSample> Samples { get; init; }

    /// <summary>The steps, in order.</summary>
    public required IReadOnlyList<StreamStep> Steps { get; init; }

    /// <summary>Held-out sets for continual evaluation (the accuracy matrix's columns).</summary>
    public required IReadOnlyList<EvaluationSet> Sets { get; init; }

    /// <summary>Reset the learner (and an adapting embedding source) when a new task starts: the episodic protocol,
    /// an oracle that knows the condition boundaries the learner is never told.</summary>
    public bool ResetAtTaskStart { get; init; }

    /// <summary>Dirichlet concentration of the label-correlated order, or 0 for shuffled.</summary>
    public double Correlation { get; init; }

    /// <summary>Checks indices, task order and that labels exist.</summary>
    /// <exception cref="ArgumentException">The stream is inconsistent; the message says where.</exception>
    public void Validate()
    {
        if (Tasks.Count == 0)
            throw new ArgumentException("The stream has no tasks.");
        if (Steps.Count == 0)
            throw new ArgumentException("The stream has no steps; check the dataset and the protocol options.");
        if (Domains.Count == 0)
            throw new ArgumentException("The stream has no domains.");
        for (int i = 0; i < Samples.Count; i++)
        {
            StreamSample s = Samples[i];
            if (s.Domain < 0 || s.Domain >= Domains.Count)
                throw new ArgumentException($"Sample {i} has domain index {s.Domain}; the stream has {Domains.Count} domains.");
            if (string.IsNullOrEmpty(s.Label))
                throw new ArgumentException($"Sample {i} has no label.");
        }
        int previousTask = 0;
        for (int i = 0; i < Steps.Count; i++)
        {
            StreamStep step = Steps[i];
            if (step.Sample < 0 || step.Sample >= Samples.Count)
                throw new ArgumentException($"Step {i} refers to sample {step.Sample}; the stream has {Samples.Count}.");
            if (step.Task < previousTask || step.Task >= Tasks.Count)
                throw new ArgumentException($"Step {i} has task {step.Task} after task {previousTask}; tasks must be contiguous and in 0..{Tasks.Count - 1}.");
            previousTask = step.Task;
        }
        foreach (EvaluationSet set in Sets)
        {
            if (set.Task < 0 || set.Task >= Tasks.Count)
                throw new ArgumentException($"Evaluation set '{set.Name}' belongs to task {set.Task}; the stream has {Tasks.Count} tasks.");
            if (set.Samples.Count == 0)
                throw new ArgumentException($"Evaluation set '{set.Name}' is empty; lower --holdout's granularity or give more samples per class.");
            foreach (int sample in set.Samples)
                if (sample < 0 || sample >= Samples.Count)
                    throw new ArgumentException($"Evaluation set '{set.Name}' refers to sample {sample}; the stream has {Samples.Count}.");
        }
    }

    /// <summary>Index of the last step of each task (−1 for a task without steps).</summary>
    public int[] TaskEndSteps()
    {
        var ends = new int[Tasks.Count];
        Array.Fill(ends, -1);
        for (int i = 0; i < Steps.Count; i++)
            ends[Steps[i].Task] = i;
        return ends;
    }
}
