using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Graph;

namespace EdgeCL.Onnx.Adaptation;

/// <summary>
/// Rewrites an ONNX model so that every BatchNormalization reads its mean and variance from graph inputs and emits
/// the batch statistics of its input as graph outputs (edge-fleet.md §2.6: statistics as overridable inputs).
/// </summary>
/// <remarks>
/// This puts RoTTA's robust BN (algorithms.md, RBN) in the graph without training ops: the runtime feeds its running
/// estimates in and reads the batch statistics out, all in one inference run. The batch statistics are computed on
/// X reshaped to [N, C, -1] (Reshape copies N and C, so any rank ≥ 2 works: [N,C] and [N,C,H,W] alike), then
/// ReduceMean over axes 0 and 2; the variance is the biased one, as BN and RoTTA use.
/// </remarks>
public static class BatchNormStatisticsRewrite
{
    /// <summary>Rewrites <paramref name="modelBytes"/>; the original statistics come back as each layer's prior.</summary>
    /// <param name="modelBytes">An ONNX model with BatchNormalization nodes in inference form (opset ≥ 9).</param>
    /// <param name="displayName">Model name for messages.</param>
    /// <exception cref="ModelLoadException">The model cannot be parsed, has no BN nodes, or a BN's statistics are not float initializers.</exception>
    public static BatchNormRewriteResult Apply(byte[] modelBytes, string displayName)
    {
        ArgumentNullException.ThrowIfNull(modelBytes);
        OnnxModel model = OnnxModel.Parse(modelBytes, displayName);
        OnnxGraph graph = model.Graph ?? throw new ModelLoadException($"'{displayName}' has no graph; export the model again.");
        IReadOnlyList<OnnxNode> bns = graph.BatchNormalizationNodes();
        if (bns.Count == 0)
            throw new ModelLoadException($"'{displayName}' has no BatchNormalization nodes; BN-statistics adaptation needs a model exported with BN kept as nodes (see models/digits/train.py).");
        long opset = model.OpsetVersion() ?? 13;

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (OnnxNode n in graph.Nodes) { names.UnionWith(n.Inputs); names.UnionWith(n.Outputs); }
        foreach (OnnxTensor t in graph.Initializers) if (t.Name is not null) names.Add(t.Name);
        foreach (OnnxValueInfo v in graph.Inputs) if (v.Name is not null) names.Add(v.Name);
        string Unique(string name)
        {
            string candidate = name;
            for (int i = 1; !names.Add(candidate); i++) candidate = $"{name}_{i}";
            return candidate;
        }

        // One shared [0, 0, -1] shape (copy N and C, flatten the rest) for every BN.
        string shape = Unique("edgecl_bn_stats.shape");
        graph.Initializers.Add(OnnxTensor.FromInt64s(shape, [0, 0, -1], [3]));
        string? axes = null;
        if (opset >= 18) // ReduceMean takes axes as an input from opset 18, as an attribute before.
        {
            axes = Unique("edgecl_bn_stats.axes");
            graph.Initializers.Add(OnnxTensor.FromInt64s(axes, [0, 2], [2]));
        }

        var layers = new List<BatchNormLayer>(bns.Count);
        var added = new List<OnnxNode>();
        for (int b = 0; b < bns.Count; b++)
        {
            OnnxNode bn = bns[b];
            if (bn.Inputs.Count < 5 || bn.Outputs.Count != 1)
                throw new ModelLoadException($"'{displayName}': BatchNormalization '{bn.Name}' is not in inference form (5 inputs, 1 output); export the model in eval mode.");
            string prefix = string.IsNullOrEmpty(bn.Name) ? bn.Outputs[0] : bn.Name;
            float[] mean = TakeStatistic(graph, bn, 3, displayName);
            float[] variance = TakeStatistic(graph, bn, 4, displayName);
            if (mean.Length != variance.Length || mean.Length == 0)
                throw new ModelLoadException($"'{displayName}': BatchNormalization '{prefix}' has mean of {mean.Length} and variance of {variance.Length} values; export the model again.");
            int c = mean.Length;
            string meanIn = Unique(prefix + ".running_mean"), varIn = Unique(prefix + ".running_var");
            bn.Inputs[3] = meanIn;
            bn.Inputs[4] = varIn;
            graph.AddInput(meanIn, OnnxDataType.Float, c);
            graph.AddInput(varIn, OnnxDataType.Float, c);

            string x = bn.Inputs[0];
            string flat = Unique(prefix + ".stats_flat"), meanKeep = Unique(prefix + ".stats_mean_keep");
            string diff = Unique(prefix + ".stats_diff"), sq = Unique(prefix + ".stats_sq");
            string batchMean = Unique(prefix + ".batch_mean"), batchVar = Unique(prefix + ".batch_var");
            added.Add(Node("Reshape", [x, shape], flat, prefix));
            added.Add(ReduceMean(flat, meanKeep, keepDims: true, axes, prefix));
            added.Add(Node("Sub", [flat, meanKeep], diff, prefix));
            added.Add(Node("Mul", [diff, diff], sq, prefix));
            added.Add(ReduceMean(sq, batchVar, keepDims: false, axes, prefix));
            added.Add(ReduceMean(flat, batchMean, keepDims: false, axes, prefix));
            graph.AddOutput(batchMean, OnnxDataType.Float, c);
            graph.AddOutput(batchVar, OnnxDataType.Float, c);
            layers.Add(new BatchNormLayer(prefix, c, meanIn, varIn, batchMean, batchVar, mean, variance));
        }
        // Appended after every original node, so the order stays topological (they read only existing values).
        graph.Nodes.AddRange(added);
        return new BatchNormRewriteResult(model.ToByteArray(), layers);
    }

    private static float[] TakeStatistic(OnnxGraph graph, OnnxNode bn, int index, string displayName)
    {
        string name = bn.Inputs[index];
        OnnxTensor tensor = graph.FindInitializer(name)
            ?? throw new ModelLoadException($"'{displayName}': BatchNormalization '{bn.Name}' reads its statistic '{name}' from something other than an initializer; export the model with constant BN statistics.");
        float[] values = tensor.ToFloatArray();
        // Remove the initializer only when no other node still reads it (shared statistics stay for the others).
        if (graph.Nodes.Count(n => n.Inputs.Contains(name)) == 1)
        {
            graph.RemoveInitializer(name);
            graph.Inputs.RemoveAll(v => v.Name == name); // old IR versions also list initializers as inputs
        }
        return values;
    }

    private static OnnxNode ReduceMean(string input, string output, bool keepDims, string? axes, string prefix)
    {
        OnnxNode node = Node("ReduceMean", axes is null ? [input] : [input, axes], output, prefix);
        node.Attributes.Add(OnnxAttribute.FromInt("keepdims", keepDims ? 1 : 0));
        if (axes is null)
            node.Attributes.Add(OnnxAttribute.FromInts("axes", 0, 2));
        return node;
    }

    private static OnnxNode Node(string op, string[] inputs, string output, string prefix)
    {
        var node = new OnnxNode { OpType = op, Name = output + "_" + op, DocString = "edgecl: BN batch statistics of " + prefix };
        node.Inputs.AddRange(inputs);
        node.Outputs.Add(output);
        return node;
    }
}
