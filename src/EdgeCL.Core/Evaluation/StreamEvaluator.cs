using System.Diagnostics;

namespace EdgeCL.Core.Evaluation;

/// <summary>
/// Replays a stream through one method (embedding source + learner), evaluating held-out sets as it goes:
/// the harness of <c>edgecl eval</c>.
/// </summary>
/// <remarks>
/// <para>Per step: a labelled sample goes to <c>Learn</c>; an unlabelled one to <c>Observe</c>, whose
/// pre-update prediction is counted online per domain (algorithms.md §5.4, continual: no reset between domains).
/// Every <see cref="EvaluateEvery"/> steps and at the last step of every task, every held-out set whose task has
/// started is classified with the pure <c>Predict</c> (continual evaluation, algorithms.md §5.3); the task-end
/// evaluations are the rows of the accuracy matrix.</para>
/// <para>The learner only ever sees embeddings and labels; the domain of a sample is used for reporting only.</para>
/// <para>Cancellation stops between steps; the run then holds everything up to the last completed step.</para>
/// </remarks>
public sealed class StreamEvaluator
{
    /// <summary>Creates an evaluator.</summary>
    /// <param name="evaluateEvery">Evaluate held-out sets every this many steps (0 = only at task ends).</param>
    /// <exception cref="ArgumentOutOfRangeException">Negative interval.</exception>
    public StreamEvaluator(int evaluateEvery)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(evaluateEvery);
        EvaluateEvery = evaluateEvery;
    }

    /// <summary>Steps between continual evaluations (0 = task ends only).</summary>
    public int EvaluateEvery { get; }

    /// <summary>Runs one method over the stream.</summary>
    /// <param name="stream">The stream (validated).</param>
    /// <param name="method">The method; its learner should be fresh.</param>
    /// <param name="progress">Receives progress about every 1% of the stream; may be null.</param>
    /// <param name="cancellationToken">Stops the run between steps; the partial run is returned, not thrown.</param>
    public MethodRun Run(EvaluationStream stream, EvaluationMethod method, IProgress<StreamProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(method);
        stream.Validate();
        method.Embeddings.Space.EnsureSame(method.Learner.Space, $"Method '{method.Name}' learner space");
        var run = new MethodRun(method.Name, stream);
        int[] taskEnds = stream.TaskEndSteps();
        var embedding = new float[method.Embeddings.Space.Dimension];
        LatencyRecorder learn = run.Recorder(PipelineStage.LearnerLearn);
        LatencyRecorder observe = run.Recorder(PipelineStage.Adaptation);
        LatencyRecorder predict = run.Recorder(PipelineStage.LearnerPredict);
        int reportEvery = Math.Max(1, stream.Steps.Count / 100);
        var detecting = method.Learner as Learning.IShiftDetecting;
        int detections = detecting?.ShiftDetections ?? 0;

        for (int i = 0; i < stream.Steps.Count; i++)
        {
            if (cancellationToken.IsCancellationRequested)
                break;
            StreamStep step = stream.Steps[i];
            StreamSample sample = stream.Samples[step.Sample];
            if (stream.ResetAtTaskStart && i > 0 && stream.Steps[i - 1].Task != step.Task)
            {
                method.Learner.Reset();
                method.Embeddings.Reset();
            }
            if (step.Labelled)
            {
                method.Embeddings.Embed(step.Sample, EmbeddingPurpose.Learn, embedding);
                long start = Stopwatch.GetTimestamp();
                method.Learner.Learn(sample.Label, embedding);
                learn.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            else
            {
                method.Embeddings.Embed(step.Sample, EmbeddingPurpose.Observe, embedding);
                long start = Stopwatch.GetTimestamp();
                Memory.Prediction p = method.Learner.Observe(embedding);
                observe.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                bool correct = p.HasClass && p.Label == sample.Label;
                run.OnlineTotalByDomain[sample.Domain]++;
                run.OnlineTotalByTask[step.Task]++;
                if (correct)
                {
                    run.OnlineCorrectByDomain[sample.Domain]++;
                    run.OnlineCorrectByTask[step.Task]++;
                }
                if (detecting is not null && detecting.ShiftDetections != detections)
                {
                    detections = detecting.ShiftDetections;
                    run.ShiftDetectionSteps.Add(i);
                }
                run.Online.Add((i, correct));
            }
            run.StepsCompleted = i + 1;
            bool taskEnd = taskEnds[step.Task] == i;
            if (taskEnd || (EvaluateEvery > 0 && (i + 1) % EvaluateEvery == 0))
                run.Points.Add(Evaluate(stream, method, i, step.Task, taskEnd, embedding, predict));
            if (progress is not null && ((i + 1) % reportEvery == 0 || i + 1 == stream.Steps.Count))
                progress.Report(new StreamProgress(method.Name, i + 1, stream.Steps.Count));
        }
        return run;
    }

    private static EvaluationPoint Evaluate(EvaluationStream stream, EvaluationMethod method, int stepIndex, int task, bool taskEnd,
        float[] embedding, LatencyRecorder predict)
    {
        var correct = new int[stream.Sets.Count];
        for (int s = 0; s < stream.Sets.Count; s++)
        {
            EvaluationSet set = stream.Sets[s];
            if (set.Task > task)
            {
                correct[s] = -1;
                continue;
            }
            int n = 0;
            foreach (int sampleIndex in set.Samples)
            {
                method.Embeddings.Embed(sampleIndex, EmbeddingPurpose.Evaluate, embedding);
                long start = Stopwatch.GetTimestamp();
                Memory.Prediction p = method.Learner.Predict(embedding);
                predict.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if (p.HasClass && p.Label == stream.Samples[sampleIndex].Label)
                    n++;
            }
            correct[s] = n;
        }
        return new EvaluationPoint(stepIndex, task, correct, taskEnd);
    }
}
