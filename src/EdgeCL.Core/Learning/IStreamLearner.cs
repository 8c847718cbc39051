using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Learning;

/// <summary>
/// A classifier head over a frozen embedding that learns from a stream: labelled examples, unlabelled test-time
/// observations, resets and forgets.
/// </summary>
/// <remarks>
/// <para>This is the contract the evaluation harness and the device loop drive; a learner knows nothing of how
/// it is evaluated (the avalanche split, aesthetics.md §5). It never receives a domain label or a shift boundary
/// (design.md §4, "no oracle"): only the harness knows domains, and only for reporting.</para>
/// <para>The online test-time protocol (algorithms.md §5.4): <see cref="Observe"/> returns the prediction made
/// <b>before</b> the learner adapts to that sample, and that is the prediction that is counted.</para>
/// <para>Implementations are not thread-safe: one caller at a time.</para>
/// </remarks>
public interface IStreamLearner
{
    /// <summary>The registry name of the method, e.g. <c>ncm-centred</c>.</summary>
    string Name { get; }

    /// <summary>The embedding space every vector must come from.</summary>
    EmbeddingSpace Space { get; }

    /// <summary>Number of classes the learner currently knows.</summary>
    int ClassCount { get; }

    /// <summary>Folds one labelled example into the learner's knowledge.</summary>
    /// <exception cref="Errors.EmbeddingException">Wrong length or a NaN/Inf value.</exception>
    /// <exception cref="ArgumentException">The label is invalid or the learner is full.</exception>
    void Learn(string label, ReadOnlySpan<float> embedding);

    /// <summary>Classifies one embedding without changing any state (pure).</summary>
    /// <exception cref="Errors.EmbeddingException">Wrong length or a NaN/Inf value.</exception>
    Prediction Predict(ReadOnlySpan<float> embedding);

    /// <summary>An unlabelled sample from the stream: predicts, then adapts (if the method adapts at all).</summary>
    /// <returns>The prediction made before adapting to this sample.</returns>
    /// <exception cref="Errors.EmbeddingException">Wrong length or a NaN/Inf value.</exception>
    Prediction Observe(ReadOnlySpan<float> embedding);

    /// <summary>Drops everything learned from unlabelled samples; keeps the labelled knowledge.</summary>
    void Reset();

    /// <summary>Forgets a class (labelled knowledge and any adaptation state tied to it).</summary>
    /// <returns>False when the class was unknown.</returns>
    bool Forget(string label);
}
