namespace EdgeCL.Onnx.Graph;

/// <summary>ONNX <c>AttributeProto.AttributeType</c>: which value field of an attribute is in use.</summary>
public enum OnnxAttributeType
{
    /// <summary>Not set.</summary>
    Undefined = 0,
    /// <summary><c>f</c>.</summary>
    Float = 1,
    /// <summary><c>i</c>.</summary>
    Int = 2,
    /// <summary><c>s</c>.</summary>
    String = 3,
    /// <summary><c>t</c>.</summary>
    Tensor = 4,
    /// <summary><c>g</c>.</summary>
    Graph = 5,
    /// <summary><c>floats</c>.</summary>
    Floats = 6,
    /// <summary><c>ints</c>.</summary>
    Ints = 7,
    /// <summary><c>strings</c>.</summary>
    Strings = 8,
    /// <summary><c>tensors</c> (kept raw).</summary>
    Tensors = 9,
    /// <summary><c>graphs</c> (kept raw).</summary>
    Graphs = 10,
    /// <summary><c>sparse_tensor</c> (kept raw).</summary>
    SparseTensor = 11,
    /// <summary><c>sparse_tensors</c> (kept raw).</summary>
    SparseTensors = 12,
    /// <summary><c>tp</c> (kept raw).</summary>
    TypeProto = 13,
    /// <summary><c>type_protos</c> (kept raw).</summary>
    TypeProtos = 14,
}
