namespace EdgeCL.Sync.Tests.Brokers;

internal static class RepoPaths
{
    /// <summary>The repository root (the folder holding EdgeCL.sln).</summary>
    public static string Root { get; } = FindRoot();

    public static string Ops(params string[] parts) => Path.Combine([Root, "ops", .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "EdgeCL.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"EdgeCL.sln not found above {AppContext.BaseDirectory}.");
    }
}
