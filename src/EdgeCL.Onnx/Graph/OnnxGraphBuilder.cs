namespace EdgeCL.Onnx.Graph;

/// <summary>Fluent builder for small models made in-process (tests, fixtures).</summary>
/// <example><code>
/// byte[] model = new OnnxGraphBuilder("relu")
///     .Input("x", OnnxDataType.Float, "N", 4)
///     .Node("Relu", ["x"], ["y"])
///     .Output("y", OnnxDataType.Float, "N", 4)
///     .Build();
/// </code></example>
public sealed class OnnxGraphBuilder
{
    /// <summary>IR version written by default: 8 (ONNX 1.10), enough for opset 13 and read by every ORT we ship.</summary>
    public const long DefaultIrVersion = 8;

    /// <summary>Default ONNX opset.</summary>
    public const long DefaultOpset = 13;

    private readonly OnnxModel _model;
    private readonly OnnxGraph _graph;

    /// <summary>Starts an empty graph called <paramref name="graphName"/>.</summary>
    public OnnxGraphBuilder(string graphName = "edgecl")
    {
        _graph = new OnnxGraph { Name = graphName };
        _model = new OnnxModel { IrVersion = DefaultIrVersion, ProducerName = "EdgeCL", Graph = _graph };
    }

    /// <summary>Sets the IR version.</summary>
    public OnnxGraphBuilder IrVersion(long version)
    {
        _model.IrVersion = version;
        return this;
    }

    /// <summary>Imports an operator set (default ONNX domain unless <paramref name="domain"/> is given); replaces an earlier version.</summary>
    public OnnxGraphBuilder Opset(long version, string domain = "")
    {
        _model.OpsetImports.RemoveAll(o => (o.Domain ?? "") == domain);
        _model.OpsetImports.Add(new OnnxOpset(domain, version));
        return this;
    }

    /// <summary>Adds a tensor graph input; dims take numbers (<c>-1</c>: unknown) and symbolic names such as <c>"N"</c>; null: unknown rank.</summary>
    public OnnxGraphBuilder Input(string name, OnnxDataType elemType, params OnnxDim[]? dims)
    {
        _graph.AddInput(name, elemType, dims);
        return this;
    }

    /// <summary>Adds a tensor graph output; dims as for <see cref="Input"/>.</summary>
    public OnnxGraphBuilder Output(string name, OnnxDataType elemType, params OnnxDim[]? dims)
    {
        _graph.AddOutput(name, elemType, dims);
        return this;
    }

    /// <summary>Adds a float32 initializer.</summary>
    public OnnxGraphBuilder Initializer(string name, float[] data, long[] dims)
    {
        _graph.Initializers.Add(OnnxTensor.FromFloats(name, data, dims));
        return this;
    }

    /// <summary>Adds an int64 initializer (shapes, axes).</summary>
    public OnnxGraphBuilder Initializer(string name, long[] data, long[] dims)
    {
        _graph.Initializers.Add(OnnxTensor.FromInt64s(name, data, dims));
        return this;
    }

    /// <summary>Adds a node named <c>{opType}_{index}</c>; attributes come from the <see cref="OnnxAttribute"/> factories.</summary>
    public OnnxGraphBuilder Node(string opType, string[] inputs, string[] outputs, params OnnxAttribute[] attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        var node = new OnnxNode { OpType = opType, Name = $"{opType}_{_graph.Nodes.Count}" };
        node.Inputs.AddRange(inputs);
        node.Outputs.AddRange(outputs);
        node.Attributes.AddRange(attributes);
        _graph.Nodes.Add(node);
        return this;
    }

    /// <summary>Sets a metadata_props entry.</summary>
    public OnnxGraphBuilder Metadata(string key, string value)
    {
        _model.SetMetadata(key, value);
        return this;
    }

    /// <summary>The model built so far (opset <see cref="DefaultOpset"/> if none was set); later builder calls still change it.</summary>
    public OnnxModel BuildModel()
    {
        if (_model.OpsetImports.Count == 0)
        {
            Opset(DefaultOpset);
        }
        return _model;
    }

    /// <summary>The model's bytes.</summary>
    public byte[] Build() => BuildModel().ToByteArray();
}
