namespace EdgeCL.Core.Evaluation;

/// <summary>Why the harness asks for an embedding, so an adapting backbone knows whether it may update itself.</summary>
public enum EmbeddingPurpose
{
    /// <summary>A labelled stream step.</summary>
    Learn,

    /// <summary>An unlabelled stream step: a test-time-adapting backbone may update its state after embedding.</summary>
    Observe,

    /// <summary>A held-out evaluation: must not change any state.</summary>
    Evaluate,
}
