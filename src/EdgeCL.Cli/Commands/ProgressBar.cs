using EdgeCL.Eval;

namespace EdgeCL.Cli.Commands;

/// <summary>A one-line progress bar on stderr, drawn only when stderr is a terminal (quiet in pipes and logs).</summary>
internal sealed class ProgressBar : IProgress<EvalProgress>
{
    private const int Width = 30;
    private string _phase = string.Empty;
    private int _lastPercent = -1;
    private bool _drawn;

    /// <summary>A bar when stderr is a terminal, else null (report nothing).</summary>
    public static ProgressBar? ForTerminal() => Console.IsErrorRedirected ? null : new ProgressBar();

    public void Report(EvalProgress value)
    {
        int percent = value.Total == 0 ? 100 : (int)(100L * value.Done / value.Total);
        if (value.Phase == _phase && percent == _lastPercent)
            return;
        if (value.Phase != _phase && _drawn)
            Console.Error.WriteLine();
        _phase = value.Phase;
        _lastPercent = percent;
        int filled = percent * Width / 100;
        Console.Error.Write($"\r  {value.Phase,-28} [{new string('#', filled)}{new string('.', Width - filled)}] {percent,3}% ({value.Done}/{value.Total})");
        _drawn = true;
    }

    /// <summary>Ends the bar's line.</summary>
    public void Finish()
    {
        if (_drawn)
            Console.Error.WriteLine();
        _drawn = false;
    }
}
