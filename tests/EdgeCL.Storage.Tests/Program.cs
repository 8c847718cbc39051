namespace EdgeCL.Storage.Tests;

/// <summary>Entry point used only when a test starts this assembly as a child process.</summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        if (args is ["crash-writer", string path])
            return State.CrashWriter.Run(path);
        Console.Error.WriteLine("EdgeCL.Storage.Tests is a test assembly; run it with 'dotnet test'. Child mode: crash-writer <db>.");
        return 2;
    }
}
