namespace EdgeCL.Storage.Tests;

/// <summary>Entry point used only when a test starts this assembly as a child process.</summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        if (args is ["crash-writer", string path])
            return State.CrashWriter.Run(path);
        if (args is ["power-writer", string db, string first, string count])
            return Faults.PowerWriter.Run(db, long.Parse(first, System.Globalization.CultureInfo.InvariantCulture), long.Parse(count, System.Globalization.CultureInfo.InvariantCulture));
        if (args is ["atomic-writer", string file, string from, string n])
            return Faults.AtomicWriter.Run(file, long.Parse(from, System.Globalization.CultureInfo.InvariantCulture), long.Parse(n, System.Globalization.CultureInfo.InvariantCulture));
        Console.Error.WriteLine("EdgeCL.Storage.Tests is a test assembly; run it with 'dotnet test'. Child modes: crash-writer <db>; power-writer <db> <first> <count>; atomic-writer <file> <first> <count>.");
        return 2;
    }
}
