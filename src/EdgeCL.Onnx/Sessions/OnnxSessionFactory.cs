using EdgeCL.Onnx.Errors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeCL.Onnx.Sessions;

/// <summary>
/// Creates ONNX Runtime sessions through an execution-provider chain with a one-sample self-test.
/// </summary>
/// <remarks>
/// Each provider is tried in order. A provider missing from the native build fails in one of several ways
/// (edge-fleet.md §0.2: <see cref="EntryPointNotFoundException"/> for CUDA/TensorRT/DML binding, an
/// <see cref="OnnxRuntimeException"/> for generic names, <see cref="DllNotFoundException"/> when a provider's
/// shared library or its CUDA dependencies are absent). Each such failure is logged and the next provider is
/// tried. A provider that loads is then proven by running the self-test, because a build can list CUDA and still
/// fail at the first kernel (no image for the device's architecture). CPU is always the last resort.
/// </remarks>
public static partial class OnnxSessionFactory
{
    /// <summary>Creates a session for the model at <paramref name="modelPath"/>.</summary>
    /// <param name="modelPath">Path of the .onnx file.</param>
    /// <param name="spec">Provider chain and threading.</param>
    /// <param name="selfTest">Runs one sample through a fresh session; throws if the provider cannot execute it.
    /// When null, <see cref="RunZeroSelfTest"/> is used.</param>
    /// <param name="logger">Receives one warning line naming every skipped provider and why.</param>
    /// <exception cref="ModelLoadException">The file is missing, empty, truncated or not an ONNX model.</exception>
    public static OnnxSession Create(string modelPath, SessionOptionsSpec spec, Action<InferenceSession>? selfTest = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        if (!File.Exists(modelPath))
            throw new ModelLoadException($"Model file '{modelPath}' does not exist; check the path or run the model's fetch script (see models/README.md).");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(modelPath);
        }
        catch (IOException ex)
        {
            throw new ModelLoadException($"Model file '{modelPath}' cannot be read ({ex.Message}); check permissions and the disk.", ex);
        }
        return Create(bytes, modelPath, spec, selfTest, logger);
    }

    /// <summary>Creates a session for model bytes held in memory.</summary>
    /// <param name="modelBytes">The serialised ModelProto.</param>
    /// <param name="displayName">Name used in messages (usually the file path).</param>
    /// <param name="spec">Provider chain and threading.</param>
    /// <param name="selfTest">See <see cref="Create(string, SessionOptionsSpec, Action{InferenceSession}?, ILogger?)"/>.</param>
    /// <param name="logger">Receives one warning line naming every skipped provider and why.</param>
    /// <exception cref="ModelLoadException">The bytes are not a loadable ONNX model.</exception>
    public static OnnxSession Create(byte[] modelBytes, string displayName, SessionOptionsSpec spec, Action<InferenceSession>? selfTest = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(modelBytes);
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        logger ??= NullLogger.Instance;
        selfTest ??= RunZeroSelfTest;
        if (modelBytes.Length == 0)
            throw new ModelLoadException($"Model file '{displayName}' is empty; fetch or export it again.");

        var skipped = new List<string>();
        var chain = new List<ExecutionProvider>(spec.Providers);
        if (!chain.Contains(ExecutionProvider.Cpu))
            chain.Add(ExecutionProvider.Cpu);

        foreach (ExecutionProvider provider in chain)
        {
            SessionOptions? options = null;
            InferenceSession? session = null;
            try
            {
                options = CreateOptions(spec);
                AppendProvider(options, provider, spec);
            }
            catch (Exception ex) when (IsProviderUnavailable(ex))
            {
                options?.Dispose();
                // The CPU package has no CUDA/TensorRT entry points at all: say which build has them instead of the binder's text.
                string reason = ex is EntryPointNotFoundException
                    ? $"{provider}: not in this ONNX Runtime build (CPU only; publish.sh --cuda builds with the CUDA and TensorRT providers)"
                    : $"{provider}: not available in this ONNX Runtime build ({FirstLine(ex.Message)})";
                skipped.Add(reason);
                continue;
            }

            try
            {
                session = new InferenceSession(modelBytes, options);
            }
            catch (OnnxRuntimeException ex)
            {
                options.Dispose();
                if (provider == ExecutionProvider.Cpu)
                    throw new ModelLoadException(DescribeLoadFailure(displayName, modelBytes, ex), ex);
                skipped.Add($"{provider}: session creation failed ({FirstLine(ex.Message)})");
                continue;
            }

            try
            {
                selfTest(session);
            }
            catch (Exception ex) when (provider != ExecutionProvider.Cpu && ex is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
            {
                session.Dispose();
                options.Dispose();
                skipped.Add($"{provider}: self-test failed ({FirstLine(ex.Message)})");
                continue;
            }
            catch (OnnxRuntimeException ex)
            {
                // Even the CPU provider cannot run one sample: the model itself is broken or does not fit its front end.
                session.Dispose();
                options.Dispose();
                throw new ModelLoadException($"Model '{displayName}' loads but fails its one-sample self-test ({FirstLine(ex.Message)}); the model is broken or does not match its preprocessing.", ex);
            }
            catch
            {
                session.Dispose();
                options.Dispose();
                throw;
            }
            if (skipped.Count > 0)
                Log.ProvidersSkipped(logger, provider.ToString(), string.Join("; ", skipped)); // one line however many were skipped
            return new OnnxSession(session, options, provider, skipped);
        }
        throw new ModelLoadException($"No execution provider could run '{displayName}': {string.Join("; ", skipped)}.");
    }

    /// <summary>Default self-test: one run with zeros, dynamic dimensions set to 1, for float/int64 inputs.</summary>
    public static void RunZeroSelfTest(InferenceSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var names = new List<string>();
        var values = new List<OrtValue>();
        try
        {
            foreach (var (name, meta) in session.InputMetadata)
            {
                long[] shape = new long[meta.Dimensions.Length];
                for (int i = 0; i < shape.Length; i++)
                    shape[i] = meta.Dimensions[i] > 0 ? meta.Dimensions[i] : 1;
                OrtValue value = meta.ElementDataType switch
                {
                    TensorElementType.Float => OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, shape),
                    TensorElementType.Int64 => OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Int64, shape),
                    _ => throw new ModelLoadException($"Input '{name}' has element type {meta.ElementDataType}; the default self-test supports float and int64 inputs only."),
                };
                // Allocated tensors are uninitialised: zero them so the test is deterministic.
                if (meta.ElementDataType == TensorElementType.Float)
                    value.GetTensorMutableDataAsSpan<float>().Clear();
                else
                    value.GetTensorMutableDataAsSpan<long>().Clear();
                names.Add(name);
                values.Add(value);
            }
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, names, values, session.OutputNames);
        }
        finally
        {
            foreach (OrtValue v in values)
                v.Dispose();
        }
    }

    private static SessionOptions CreateOptions(SessionOptionsSpec spec)
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = spec.IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", spec.AllowSpinning ? "1" : "0");
        return options;
    }

    private static void AppendProvider(SessionOptions options, ExecutionProvider provider, SessionOptionsSpec spec)
    {
        switch (provider)
        {
            case ExecutionProvider.Cpu:
                break; // always registered last by ORT itself
            case ExecutionProvider.Cuda:
                options.AppendExecutionProvider_CUDA(spec.DeviceId);
                break;
            case ExecutionProvider.TensorRt:
                if (spec.TensorRtCachePath is { } cache)
                {
                    using var trt = new OrtTensorRTProviderOptions();
                    trt.UpdateOptions(new Dictionary<string, string>
                    {
                        ["device_id"] = spec.DeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["trt_engine_cache_enable"] = "1",
                        ["trt_engine_cache_path"] = cache,
                        ["trt_timing_cache_enable"] = "1",
                    });
                    options.AppendExecutionProvider_Tensorrt(trt);
                }
                else
                {
                    options.AppendExecutionProvider_Tensorrt(spec.DeviceId);
                }
                // TensorRT hands the nodes it cannot take to CUDA, then to CPU.
                options.AppendExecutionProvider_CUDA(spec.DeviceId);
                break;
            case ExecutionProvider.DirectMl:
                options.AppendExecutionProvider_DML(spec.DeviceId);
                break;
            case ExecutionProvider.Xnnpack:
                options.AppendExecutionProvider("XNNPACK", new Dictionary<string, string>());
                break;
            case ExecutionProvider.OpenVino:
                options.AppendExecutionProvider("OpenVINO", new Dictionary<string, string>());
                break;
            case ExecutionProvider.Qnn:
                options.AppendExecutionProvider("QNN", new Dictionary<string, string>());
                break;
            case ExecutionProvider.CoreMl:
                options.AppendExecutionProvider("CoreML", new Dictionary<string, string>());
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(provider), provider, "Unknown execution provider.");
        }
    }

    private static bool IsProviderUnavailable(Exception ex) =>
        ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException or NotSupportedException or PlatformNotSupportedException;

    private static string DescribeLoadFailure(string displayName, byte[] bytes, OnnxRuntimeException ex)
    {
        string first = FirstLine(ex.Message);
        // A protobuf ModelProto begins with field 1 (ir_version, varint): byte 0x08.
        if (bytes[0] != 0x08)
            return $"Model file '{displayName}' is not an ONNX model ({first}); check that the path points at a .onnx file.";
        return $"Model file '{displayName}' could not be loaded, it may be truncated or corrupt ({first}); fetch or export it again.";
    }

    private static string FirstLine(string message)
    {
        int nl = message.IndexOfAny(['\r', '\n']);
        return nl < 0 ? message : message[..nl];
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "running on {Provider}: {Reasons} (edgecl doctor shows which libraries are missing)")]
        public static partial void ProvidersSkipped(ILogger logger, string provider, string reasons);
    }
}
