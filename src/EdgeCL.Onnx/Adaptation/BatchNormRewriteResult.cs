namespace EdgeCL.Onnx.Adaptation;

/// <summary>A model rewritten by <see cref="BatchNormStatisticsRewrite"/>.</summary>
/// <param name="Model">The rewritten model bytes.</param>
/// <param name="Layers">Every BatchNormalization node, in graph order.</param>
public sealed record BatchNormRewriteResult(byte[] Model, IReadOnlyList<BatchNormLayer> Layers);
