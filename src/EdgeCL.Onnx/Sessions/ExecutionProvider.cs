namespace EdgeCL.Onnx.Sessions;

/// <summary>An ONNX Runtime execution provider EdgeCL knows how to request.</summary>
public enum ExecutionProvider
{
    /// <summary>Default CPU provider; present in every build.</summary>
    Cpu,
    /// <summary>NVIDIA CUDA (x64 Gpu package, or a self-built library on Jetson).</summary>
    Cuda,
    /// <summary>NVIDIA TensorRT (appended together with CUDA for the same device).</summary>
    TensorRt,
    /// <summary>DirectML on Windows (Microsoft.ML.OnnxRuntime.DirectML).</summary>
    DirectMl,
    /// <summary>XNNPACK (Android/iOS and custom builds).</summary>
    Xnnpack,
    /// <summary>Intel OpenVINO (Intel's package or a custom build).</summary>
    OpenVino,
    /// <summary>Qualcomm QNN (Windows on Arm package).</summary>
    Qnn,
    /// <summary>Apple CoreML (macOS/iOS).</summary>
    CoreMl,
}
