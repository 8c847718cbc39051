namespace EdgeCL.Core.Evaluation;

/// <summary>One sample the stream can refer to: a dataset item seen in one domain, with its true label.</summary>
/// <param name="Item">Index of the item in the caller's dataset (a file, an .npy row).</param>
/// <param name="Domain">Index into <see cref="EvaluationStream.Domains"/> (the shift or domain it is seen under).</param>
/// <param name="Label">The true class (withheld from the learner for unlabelled steps).</param>
public readonly record struct StreamSample(int Item, int Domain, string Label);
