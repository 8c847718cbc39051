using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Graph;

namespace EdgeCL.Fuzz.Targets;

/// <summary>ONNX models through the project's own protobuf graph reader (<see cref="OnnxModel.Parse(byte[], string)"/>), then written back and read again.</summary>
/// <remarks>Clear error: <see cref="ModelLoadException"/>. A model that parses must survive its own writer and reader.</remarks>
internal sealed class OnnxTarget : IFuzzTarget
{
    public string Name => "onnx";

    public void Run(byte[] input)
    {
        OnnxModel model;
        try
        {
            model = OnnxModel.Parse(input, "fuzz.onnx");
        }
        catch (ModelLoadException)
        {
            return; // the documented answer to a bad model
        }
        _ = model.Graph?.Nodes.Count;
        OnnxModel.Parse(model.ToByteArray(), "fuzz.onnx (rewritten)");
    }
}
