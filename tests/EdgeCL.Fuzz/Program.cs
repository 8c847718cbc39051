using System.Diagnostics;
using EdgeCL.Fuzz;
using EdgeCL.Fuzz.Targets;
using SharpFuzz;

// EdgeCL.Fuzz TARGET               run under afl-fuzz (ops/fuzz/run.sh); reads one input from stdin per execution
// EdgeCL.Fuzz TARGET --replay P..  run files (or folders of files) in-process: crashes, state changes and slow inputs
// EdgeCL.Fuzz seeds DIR            write the generated seed corpus, one folder per target
// EdgeCL.Fuzz list                 the target names
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: EdgeCL.Fuzz TARGET [--replay FILE|DIR...] | seeds DIR | list");
    return 2;
}
if (args[0] == "list")
{
    foreach (string name in Catalog.Names)
        Console.WriteLine(name);
    return 0;
}
if (args[0] == "seeds" && args.Length == 2)
{
    SeedCorpus.Write(args[1]);
    return 0;
}
if (!Catalog.Names.Contains(args[0]))
{
    Console.Error.WriteLine($"unknown target '{args[0]}'; one of: {string.Join(", ", Catalog.Names)}");
    return 2;
}
if (args.Length > 1 && args[1] == "--replay")
{
    // Instrumented assemblies write coverage to SharpFuzz's map, which only afl-fuzz's run sets up: give them a private one.
    unsafe
    {
        SharpFuzz.Common.Trace.SharedMem = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(1 << 16);
    }
    return Replay.Run(Catalog.Create(args[0])!, args.Skip(2));
}

// The target is made inside the fuzzed process, after SharpFuzz has attached the coverage map (its set-up runs
// instrumented code too).
IFuzzTarget? target = null;
Fuzzer.OutOfProcess.Run(stream =>
{
    target ??= Catalog.Create(args[0])!;
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target.Run(buffer.ToArray());
});
return 0;

namespace EdgeCL.Fuzz
{
    /// <summary>Every target, by name.</summary>
    internal static class Catalog
    {
        private static readonly Dictionary<string, Func<IFuzzTarget>> Targets = new()
        {
            ["fleet-entry"] = () => new FleetEntryTarget(),
            ["fleet-aggregate"] = () => new FleetAggregateTarget(),
            ["command"] = () => new CommandTarget(),
            ["state-file"] = () => new StateFileTarget(),
            ["state-store"] = () => new StateStoreTarget(),
            ["checkpoint"] = () => new CheckpointTarget(),
            ["wav"] = () => new WavTarget(),
            ["image-png"] = () => new ImageTarget("png"),
            ["image-jpeg"] = () => new ImageTarget("jpeg"),
            ["image-pnm"] = () => new ImageTarget("pnm"),
            ["npy"] = () => new NpyTarget(),
            ["manifest"] = () => new ManifestTarget(),
            ["device-config"] = () => new DeviceConfigTarget(),
            ["onnx"] = () => new OnnxTarget(),
            ["calibration"] = () => new CalibrationTarget(),
        };

        public static IEnumerable<string> Names => Targets.Keys;

        public static IFuzzTarget? Create(string name) => Targets.TryGetValue(name, out var make) ? make() : null;
    }

    /// <summary>Runs saved inputs in-process: how CI checks the corpus and how a crash found by afl-fuzz is reproduced.</summary>
    internal static class Replay
    {
        /// <summary>An input slower than this is reported as a hang (afl-fuzz's own limit in run.sh is the same).</summary>
        private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(10);

        public static int Run(IFuzzTarget target, IEnumerable<string> paths)
        {
            var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories) : [p])
                .Where(f => !Path.GetFileName(f).StartsWith('.') && !f.EndsWith("README.txt", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
            int bad = 0;
            try
            {
                target.Run([]); // warm-up: the JIT's first compile must not count as a slow input
            }
            catch (Exception)
            {
                // An empty input that crashes is found again below when the corpus holds one.
            }
            foreach (string file in files)
            {
                var clock = Stopwatch.StartNew();
                try
                {
                    target.Run(File.ReadAllBytes(file));
                }
                catch (Exception ex)
                {
                    bad++;
                    Console.WriteLine($"CRASH {target.Name} {file}: {ex.GetType().Name}: {ex.Message.Split('\n')[0]}");
                    Console.WriteLine(ex.StackTrace);
                    continue;
                }
                if (clock.Elapsed > HangLimit)
                {
                    bad++;
                    Console.WriteLine($"HANG {target.Name} {file}: {clock.Elapsed.TotalSeconds:0.0} s");
                }
            }
            Console.WriteLine($"replay {target.Name}: {files.Count} inputs, {bad} failed");
            return bad == 0 ? 0 : 1;
        }
    }
}
