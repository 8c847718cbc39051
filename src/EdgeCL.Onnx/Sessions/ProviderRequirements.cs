using System.Runtime.InteropServices;

namespace EdgeCL.Onnx.Sessions;

/// <summary>What an accelerator provider needs on the machine, and whether the machine has it (dlopen of the exact sonames).</summary>
/// <remarks>
/// The sonames are those Microsoft.ML.OnnxRuntime.Gpu.Linux 1.32.0 links against (readelf -d of its provider libraries):
/// CUDA 13 (libcudart.so.13, libcublas.so.13, libcublasLt.so.13, libcurand.so.10), the driver (libcuda.so.1), cuDNN 9, and
/// for TensorRT 10 libnvinfer.so.10 and libnvonnxparser.so.10. Move them with the ONNX Runtime version.
/// </remarks>
public static class ProviderRequirements
{
    private static readonly string[] Cuda =
        ["libcuda.so.1", "libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcurand.so.10", "libcudnn.so.9"];

    private static readonly string[] TensorRt = [.. Cuda, "libnvinfer.so.10", "libnvonnxparser.so.10"];

    /// <summary>The ONNX Runtime provider library a provider is loaded from, or null when it is built into libonnxruntime.</summary>
    public static string? ProviderLibrary(ExecutionProvider provider) => provider switch
    {
        ExecutionProvider.Cuda => "libonnxruntime_providers_cuda.so",
        ExecutionProvider.TensorRt => "libonnxruntime_providers_tensorrt.so",
        ExecutionProvider.OpenVino => "libonnxruntime_providers_openvino.so",
        _ => null,
    };

    /// <summary>The system libraries (sonames) a provider loads, in the order they are checked.</summary>
    public static IReadOnlyList<string> SystemLibraries(ExecutionProvider provider) => provider switch
    {
        ExecutionProvider.Cuda => Cuda,
        ExecutionProvider.TensorRt => TensorRt,
        _ => [],
    };

    /// <summary>The folder ONNX Runtime's libraries are loaded from: beside the executable, or runtimes/&lt;rid&gt;/native in a dev build.</summary>
    public static string? NativeFolder()
    {
        foreach (string dir in new[] { AppContext.BaseDirectory, Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native") })
        {
            if (File.Exists(Path.Combine(dir, "libonnxruntime.so")))
                return dir;
        }
        return null;
    }

    /// <summary>Whether the provider's ONNX Runtime library ships with this build (true for providers built into libonnxruntime).</summary>
    public static bool ProviderLibraryPresent(ExecutionProvider provider) =>
        ProviderLibrary(provider) is not { } name || (NativeFolder() is { } dir && File.Exists(Path.Combine(dir, name)));

    /// <summary>The system libraries of <paramref name="provider"/> that the dynamic loader cannot open here.</summary>
    public static IReadOnlyList<string> MissingSystemLibraries(ExecutionProvider provider) =>
        [.. SystemLibraries(provider).Where(soname => !CanLoad(soname))];

    /// <summary>Whether <paramref name="soname"/> opens with the loader's search path (LD_LIBRARY_PATH, ld.so.cache); it is closed again.</summary>
    public static bool CanLoad(string soname)
    {
        if (!NativeLibrary.TryLoad(soname, out IntPtr handle))
            return false;
        NativeLibrary.Free(handle);
        return true;
    }
}
