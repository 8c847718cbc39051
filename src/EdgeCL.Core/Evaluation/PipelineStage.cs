namespace EdgeCL.Core.Evaluation;

/// <summary>Names of the pipeline stages whose latency an evaluation reports (JSON keys of <c>latency_ms</c>).</summary>
public static class PipelineStage
{
    /// <summary>Reading and decoding the input plus applying the synthetic shift (front end before the model).</summary>
    public const string FrontEnd = "front_end";

    /// <summary>The backbone: preprocessing and the ONNX model(s) (for speech: melspectrogram + embedding model).</summary>
    public const string Backbone = "backbone";

    /// <summary>A labelled update of the learner (<c>Learn</c>).</summary>
    public const string LearnerLearn = "learner_learn";

    /// <summary>A pure prediction of the learner (<c>Predict</c>, held-out evaluation).</summary>
    public const string LearnerPredict = "learner_predict";

    /// <summary>An unlabelled step: predict, then adapt (<c>Observe</c>).</summary>
    public const string Adaptation = "adaptation";
}
