using EdgeCL.Benchmarks;

// EdgeCL benchmarks: every hot path against a baseline measured in the same run.
// Usage: dotnet run -c Release --project tests/EdgeCL.Benchmarks -- [all|kernels|prototypes|backbones|adaptation|streaming|camera|signing|fleet-receive] [--quick]
// ops/measure/peers.py runs the peer modes (knn-peer, nmc-peer, state-bytes, openset-peer; see PeerBenchmarks) on its .npy files.
EdgeCL.Onnx.Runtime.OrtTelemetry.Disable(); // before ONNX Runtime starts: no telemetry queued under HOME (#18)
if (args.Length > 0 && PeerBenchmarks.IsPeerMode(args[0]))
    return PeerBenchmarks.Run(args);
string which = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
if (args.Contains("--quick"))
{
    Harness.Rounds = 3;
    Harness.RoundTime = TimeSpan.FromMilliseconds(40);
}
Console.WriteLine($"EdgeCL benchmarks on {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, " +
    $"{System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}; median of {Harness.Rounds} rounds");
Console.WriteLine();
if (which is "all" or "kernels") KernelBenchmarks.Run();
if (which is "all" or "prototypes") PrototypeBenchmarks.Run();
if (which is "all" or "backbones") BackboneBenchmarks.Run();
if (which is "all" or "adaptation") AdaptationBenchmarks.Run();
if (which is "all" or "streaming") StreamingBenchmarks.Run();
if (which is "all" or "camera") CameraBenchmarks.Run();
if (which is "all" or "signing") SigningBenchmarks.Run();
if (which is "all" or "fleet-receive") FleetReceiveBenchmarks.Run();
return 0;
