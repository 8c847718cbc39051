namespace EdgeCL.Cli.Tests;

/// <summary>A long-lived <c>edgecl</c> command (e.g. <c>broker</c>) running in-process until <see cref="StopAsync"/> (what Ctrl-C does).</summary>
internal sealed class RunningCommand : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<int> _run;

    private RunningCommand(string[] args)
    {
        TextWriter oldOut = Console.Out, oldErr = Console.Error;
        Console.SetOut(Out);
        Console.SetError(Err);
        try
        {
            // The command captures Console.Out/Error synchronously when it starts, so restoring them afterwards is safe.
            _run = Task.Run(() => Program.RunAsync(args, _stop.Token));
            Out.WaitForAsync("listening", TimeSpan.FromSeconds(20)).ContinueWith(_ => { }, TaskScheduler.Default).Wait();
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
    }

    public SignalWriter Out { get; } = new();
    public SignalWriter Err { get; } = new();
    public Task<int> Run => _run;

    /// <summary>Starts the command and waits for its "listening" line.</summary>
    public static RunningCommand Start(params string[] args)
    {
        var running = new RunningCommand(args);
        if (running._run.IsCompleted)
            throw new InvalidOperationException($"edgecl {string.Join(' ', args)} exited with {running._run.Result}: {running.Err}");
        return running;
    }

    /// <summary>The port from "listening on ADDRESS:PORT".</summary>
    public int Port
    {
        get
        {
            var match = System.Text.RegularExpressions.Regex.Match(Out.ToString(), @"listening on [^ ]+:(\d+)");
            return match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : throw new InvalidOperationException($"no port in: {Out}");
        }
    }

    public async Task<int> StopAsync()
    {
        await _stop.CancelAsync();
        return await _run.WaitAsync(TimeSpan.FromSeconds(20));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_run.IsCompleted)
            await StopAsync();
        _stop.Dispose();
    }
}
