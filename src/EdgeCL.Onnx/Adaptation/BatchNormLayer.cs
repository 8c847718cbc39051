namespace EdgeCL.Onnx.Adaptation;

/// <summary>One BatchNormalization node of a rewritten model: the names of its statistic inputs and batch-statistic outputs, and its source statistics.</summary>
/// <param name="Node">The BN node's name (or its output when unnamed).</param>
/// <param name="Channels">Channels C (length of every statistic).</param>
/// <param name="MeanInput">Graph input feeding the BN mean, [C].</param>
/// <param name="VarianceInput">Graph input feeding the BN variance, [C].</param>
/// <param name="BatchMeanOutput">Graph output: per-channel mean of the BN input over every axis but 1, [C].</param>
/// <param name="BatchVarianceOutput">Graph output: per-channel (biased) variance of the BN input over every axis but 1, [C].</param>
/// <param name="SourceMean">The exported running mean (the prior).</param>
/// <param name="SourceVariance">The exported running variance (the prior).</param>
public sealed record BatchNormLayer(string Node, int Channels, string MeanInput, string VarianceInput, string BatchMeanOutput,
    string BatchVarianceOutput, float[] SourceMean, float[] SourceVariance);
