using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using EdgeCL.Core.Errors;
using EdgeCL.Onnx.Errors;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCL.Cli.Commands;

/// <summary>The single funnel from exceptions to one-line messages and exit codes.</summary>
internal static class CommandRunner
{
    /// <summary>Runs a command body; expected failures become one line on stderr and a documented exit code.</summary>
    public static async Task<int> RunAsync(Func<CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        try
        {
            return await body(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("edgecl: cancelled.");
            return ExitCodes.Cancelled;
        }
        catch (ModelLoadException ex) { return Fail(ex.Message, ExitCodes.ModelError); }
        catch (InputFormatException ex) { return Fail(ex.Message, ExitCodes.InputError); }
        catch (EmbeddingException ex) { return Fail(ErrorText.OneLine(ex), ExitCodes.InputError); }
        catch (StateFormatException ex) { return Fail(ex.Message, ExitCodes.StateError); }
        catch (IOException ex) { return Fail(ex.Message, ExitCodes.StateError); }
        catch (OnnxRuntimeException ex) { return Fail($"ONNX Runtime failed: {FirstLine(ex.Message)}", ExitCodes.ModelError); }
        catch (ArgumentException ex) { return Fail(ErrorText.OneLine(ex), ExitCodes.Usage); }
    }

    /// <summary>Writes one error line and returns the code.</summary>
    public static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"edgecl: error: {FirstLine(message)}");
        return code;
    }

    /// <summary>Writes a value as JSON to stdout.</summary>
    public static void WriteJson<T>(T value, JsonTypeInfo<T> typeInfo) => Console.Out.WriteLine(JsonSerializer.Serialize(value, typeInfo));

    private static string FirstLine(string message)
    {
        int nl = message.IndexOfAny(['\r', '\n']);
        return nl < 0 ? message : message[..nl];
    }
}
