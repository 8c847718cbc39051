using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeCL.Onnx.Tests.Graph;

/// <summary>Runs a model from bytes in ONNX Runtime (CPU) with the OrtValue API.</summary>
internal static class Ort
{
    public sealed record Tensor(float[] Data, long[] Shape);

    public static Tensor Run(byte[] model, string input, float[] data, long[] shape, string output) =>
        Run(model, new Dictionary<string, Tensor> { [input] = new(data, shape) }, output)[0];

    public static IReadOnlyList<Tensor> Run(byte[] model, IReadOnlyDictionary<string, Tensor> inputs, params string[] outputs)
    {
        using var session = new InferenceSession(model);
        var values = inputs.Values.Select(t => OrtValue.CreateTensorValueFromMemory(t.Data, t.Shape)).ToList();
        try
        {
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, inputs.Keys.ToList(), values, outputs);
            return results.Select(r => new Tensor(r.GetTensorDataAsSpan<float>().ToArray(), r.GetTensorTypeAndShape().Shape)).ToList();
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }

    /// <summary>Element type of an output, for models whose output is not float.</summary>
    public static TensorElementType OutputType(byte[] model, string output)
    {
        using var session = new InferenceSession(model);
        return session.OutputMetadata[output].ElementDataType;
    }

    public static float[] RandomInput(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    public static void AssertClose(float[] expected, float[] actual, float tolerance = 1e-4f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
