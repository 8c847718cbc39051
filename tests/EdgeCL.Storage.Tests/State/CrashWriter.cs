using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;
using EdgeCL.Storage.State;

namespace EdgeCL.Storage.Tests.State;

/// <summary>
/// The child process of the kill -9 test: commits one new class plus its outbox message per transaction, forever,
/// and prints each id only after <see cref="StateStore.Commit"/> returned.
/// </summary>
internal static class CrashWriter
{
    public static readonly EmbeddingSpace Space = new("c4a5c4a5", 32);
    public const string DeviceId = "crash-writer";
    public static readonly PrototypeMemoryOptions MemoryOptions = new() { MaxClasses = 1_000_000, Centring = CentringMode.None };

    public static int Run(string path)
    {
        using StateStore store = StateStore.Open(path, Space, DeviceId);
        PrototypeMemory memory = store.LoadMemory(MemoryOptions);
        // Ids are dense: a restarted writer continues after the last committed class.
        long next = memory.ClassCount;
        var rng = new Random((int)next);
        var x = new float[Space.Dimension];
        TextWriter stdout = Console.Out; // autoflushed: a printed line is in the pipe before the next commit starts
        while (true)
        {
            for (int i = 0; i < x.Length; i++)
                x[i] = (float)rng.NextDouble();
            string label = Label(next);
            memory.Add(label, x);
            store.Commit(memory, [label], [BitConverter.GetBytes(next)]);
            stdout.WriteLine(next);
            next++;
        }
    }

    public static string Label(long id) => $"e{id}";
}
