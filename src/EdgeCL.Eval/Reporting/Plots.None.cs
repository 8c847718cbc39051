namespace EdgeCL.Eval.Reporting;

/// <summary>The report's figures in a build without a plotting library (publish.sh's device profile, -p:EdgeClPlots=false).</summary>
/// <remarks>Compiled instead of Plots.cs there, so that ScottPlot, SkiaSharp and HarfBuzz stay off the device.</remarks>
public static class Plots
{
    /// <summary>The one line said when figures are asked for in this build.</summary>
    public const string UnavailableMessage =
        "plots skipped: this is the device build of edgecl (publish.sh --profile device), which carries no plotting library; report.json and report.md are written, and the full build draws the figures";

    /// <summary>Whether this build can draw figures: never.</summary>
    public static bool Available => false;

    /// <summary>File names (without extension) of the figures the full build makes.</summary>
    public static IReadOnlyList<string> Names { get; } = ["accuracy", "domains", "latency"];

    /// <summary>Always throws: this build has no plotting library.</summary>
    /// <exception cref="NotSupportedException">Always, with <see cref="UnavailableMessage"/>.</exception>
    public static IReadOnlyList<string> WriteAll(EvalReport report, string directory) => throw new NotSupportedException(UnavailableMessage);
}
