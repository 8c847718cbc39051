using System.Text;

namespace EdgeCL.Sync.Broker;

/// <summary>Writes a secret-bearing file (users, passwords) atomically, readable by its owner only.</summary>
internal static class PrivateFile
{
    public static void Write(string path, string text)
    {
        string temp = path + ".tmp";
        File.WriteAllText(temp, text, Encoding.ASCII);
        // Mode 0600 before the rename, so the file is never visible with wider permissions.
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: true);
    }
}
