namespace EdgeCL.Storage.Tests;

/// <summary>Starting this test assembly again as a child process (see Program.cs).</summary>
internal static class ChildProcess
{
    /// <summary>The dotnet host: the one 'dotnet test' exports, else the running one, else dotnet on PATH.</summary>
    public static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
            return host;
        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet")
            return self;
        return "dotnet";
    }

    /// <summary>This test assembly, to run with <c>dotnet exec</c>.</summary>
    public static string Assembly => Path.Combine(AppContext.BaseDirectory, typeof(ChildProcess).Assembly.GetName().Name + ".dll");
}
