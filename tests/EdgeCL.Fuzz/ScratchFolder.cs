namespace EdgeCL.Fuzz;

/// <summary>A private folder for targets whose production entry point reads a file (in RAM when /dev/shm exists).</summary>
internal static class ScratchFolder
{
    public static string Create(string target)
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        string path = Path.Combine(root, $"edgecl-fuzz-{target}-{Environment.ProcessId}");
        Directory.CreateDirectory(path);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (IOException)
            {
                // Left for the OS to clean with the rest of /dev/shm.
            }
        };
        return path;
    }

    /// <summary>SHA-256 of a file's bytes, or empty when it does not exist.</summary>
    public static string Hash(string path) =>
        File.Exists(path) ? Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))) : "";
}
