using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeCL.Onnx.Runtime;

/// <summary>
/// Keeps ONNX Runtime's own telemetry off. Since 1.29 the Linux build queues events (OS, process path, a device id, error
/// messages) in <c>~/.cache/Microsoft/DeveloperTools/.onnxruntime/onnxruntime.db</c> plus a <c>deviceid</c> file, waiting
/// for upload, unless <c>ORT_DISABLE_TELEMETRY=1</c> is in the native environment when the runtime initialises.
/// </summary>
/// <remarks>On Unix, .NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/> changes only the managed copy of
/// the environment, which native <c>getenv</c> never sees; so libc <c>setenv</c> is called as well.</remarks>
public static partial class OrtTelemetry
{
    /// <summary>The variable ONNX Runtime reads.</summary>
    public const string Variable = "ORT_DISABLE_TELEMETRY";

    /// <summary>Puts <c>ORT_DISABLE_TELEMETRY=1</c> into the native and the managed environment; call before any ONNX Runtime
    /// type is touched (first line of <c>Main</c>). Idempotent.</summary>
    public static void Disable()
    {
        if (Environment.GetEnvironmentVariable(Variable) == "1" && NativeIsSet())
            return;
        Environment.SetEnvironmentVariable(Variable, "1"); // child processes started through Process
        if (!OperatingSystem.IsWindows())
            _ = Libc.SetEnv(Variable, "1", 1);
    }

    /// <summary>Whether the native environment (what ONNX Runtime reads) holds <c>ORT_DISABLE_TELEMETRY=1</c>.</summary>
    public static bool NativeIsSet() => OperatingSystem.IsWindows()
        ? Environment.GetEnvironmentVariable(Variable) == "1"
        : Marshal.PtrToStringUTF8(Libc.GetEnv(Variable)) == "1";

    // Any host that loads EdgeCL.Onnx (the CLI, tests, benchmarks, a program embedding the agent) gets telemetry off before
    // EdgeCL.Onnx can create an ONNX Runtime environment; Main also calls Disable first, for code that touches ORT directly.
#pragma warning disable CA2255 // a library module initializer is the point here: it runs before any of this library's ORT use
    [ModuleInitializer]
    internal static void OnLoad() => Disable();
#pragma warning restore CA2255

    private static partial class Libc
    {
        [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int SetEnv(string name, string value, int overwrite);

        [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial nint GetEnv(string name);
    }
}
