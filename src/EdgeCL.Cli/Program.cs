using System.CommandLine;
using System.Runtime.InteropServices;
using EdgeCL.Cli.Commands;

namespace EdgeCL.Cli;

/// <summary>Entry point of the <c>edgecl</c> tool.</summary>
public static class Program
{
    /// <summary>Parses the command line and runs the command; returns an <see cref="ExitCodes"/> value.</summary>
    public static Task<int> Main(string[] args)
    {
        // Before any ONNX Runtime type is touched: its telemetry reads the native environment once, at start-up (#18).
        Onnx.Runtime.OrtTelemetry.Disable();
        return RunAsync(args, CancellationToken.None);
    }

    /// <summary>As <see cref="Main"/>, also stopped by <paramref name="stop"/> (as by Ctrl-C): lets tests run long-lived commands such as <c>broker</c> in-process.</summary>
    internal static async Task<int> RunAsync(string[] args, CancellationToken stop)
    {
        var root = new RootCommand("EdgeCL: on-device continual learning on frozen ONNX backbones.")
        {
            ModelCommand.Create(),
            EmbedCommand.Create(),
            LearnCommand.Create(),
            PredictCommand.Create(),
            ForgetCommand.Create(),
            DemoCommand.Create(),
            BrokerCommand.Create(),
            FleetCliCommand.Create(),
            EvalCommand.Create(),
            RolloutCommand.Create(),
            RunCommand.Create(),
            StatusCommand.Create(),
            HashPasswordCommand.Create(),
            DoctorCommand.Create(),
        };
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
                Console.Error.WriteLine($"edgecl: error: {error.Message}");
            Console.Error.WriteLine("Run 'edgecl --help' for usage.");
            return ExitCodes.Usage;
        }
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(stop);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        // systemd and 'docker stop' send SIGTERM: stop as Ctrl-C does (the agent checkpoints and says goodbye) instead of dying mid-write.
        using PosixSignalRegistration onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            cancellation.Cancel();
        });
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cancellation.Token).ConfigureAwait(false);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
