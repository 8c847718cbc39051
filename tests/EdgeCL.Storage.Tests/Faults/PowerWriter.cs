using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;
using EdgeCL.Storage.Errors;
using EdgeCL.Storage.State;

namespace EdgeCL.Storage.Tests.Faults;

/// <summary>
/// The child process of the power-loss test: learns examples <c>first, first+1, …</c> through <see cref="StateStore"/> as
/// the device agent does (skip an example the store already has, else add it and commit it with its id and an outbox
/// message in one transaction) and prints <c>ack N</c> only after the commit returned. A failed commit prints
/// <c>error MESSAGE</c>, reloads the memory from the store (as FleetDevice does) and retries the same example.
/// </summary>
internal static class PowerWriter
{
    public static readonly EmbeddingSpace Space = new("90e7105e", 256); // 1 KiB means: a class row spans sectors
    public const string DeviceId = "power-writer";
    public static readonly PrototypeMemoryOptions MemoryOptions = new() { Centring = CentringMode.None };
    private const int MaxAttempts = 4;

    public static string Label(long n) => $"c{n % 3}";

    public static string Id(long n) => $"ex{n}";

    public static int Run(string path, long first, long count)
    {
        TextWriter stdout = Console.Out; // autoflushed: a printed line is in the pipe before the next call
        StateStore store;
        PrototypeMemory memory;
        try
        {
            store = StateStore.Open(path, Space, DeviceId);
            memory = store.LoadMemory(MemoryOptions);
        }
        catch (StateStoreException ex)
        {
            stdout.WriteLine("error " + ex.Message);
            return 3;
        }
        using (store)
        {
            var x = new float[Space.Dimension];
            for (long n = first; n < first + count; n++)
            {
                var rng = new Random((int)n);
                for (int i = 0; i < x.Length; i++)
                    x[i] = (float)rng.NextDouble();
                for (int attempt = 1; ; attempt++)
                {
                    try
                    {
                        if (store.HasExample(Id(n)))
                        {
                            stdout.WriteLine($"ack {n} dup");
                            break;
                        }
                        memory.Add(Label(n), x);
                        store.Commit(memory, [Label(n)], [BitConverter.GetBytes(n)], (Id(n), Label(n)));
                        stdout.WriteLine($"ack {n}");
                        break;
                    }
                    catch (StateStoreException ex)
                    {
                        stdout.WriteLine("error " + ex.Message);
                        if (attempt == MaxAttempts)
                            return 3;
                        try
                        {
                            memory = store.LoadMemory(MemoryOptions);
                        }
                        catch (StateStoreException again)
                        {
                            stdout.WriteLine("error " + again.Message);
                            return 3;
                        }
                    }
                }
            }
        }
        return 0;
    }
}
