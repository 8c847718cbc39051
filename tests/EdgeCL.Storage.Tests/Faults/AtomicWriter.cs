using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using EdgeCL.Storage.Files;

namespace EdgeCL.Storage.Tests.Faults;

/// <summary>
/// The child process of the AtomicFile power-loss test: replaces one file with versions <c>first, first+1, …</c> through
/// <see cref="AtomicFile.WriteAllBytes"/> (as the agent writes its key, checkpoint and retained messages) and prints
/// <c>ack N</c> after each returned. Each version is a few sectors long and ends with its own SHA-256, so a mix of two
/// versions or a torn one is seen.
/// </summary>
internal static class AtomicWriter
{
    public static byte[] Version(long n)
    {
        var random = new Random((int)n);
        byte[] body = new byte[1500 + random.Next(3000)];
        random.NextBytes(body);
        Encoding.ASCII.GetBytes(n.ToString("D12", CultureInfo.InvariantCulture)).CopyTo(body, 0);
        return [.. body, .. SHA256.HashData(body)];
    }

    /// <summary>The version a file holds, or null when it is not one whole version.</summary>
    public static long? Parse(byte[] bytes)
    {
        if (bytes.Length < 12 + 32 || !SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32)))
            return null;
        return long.Parse(Encoding.ASCII.GetString(bytes, 0, 12), CultureInfo.InvariantCulture);
    }

    public static int Run(string path, long first, long count)
    {
        for (long n = first; n < first + count; n++)
        {
            try
            {
                AtomicFile.WriteAllBytes(path, Version(n));
            }
            catch (IOException ex)
            {
                Console.Out.WriteLine("error " + ex.Message);
                return 3;
            }
            Console.Out.WriteLine($"ack {n}");
        }
        return 0;
    }
}
