namespace EdgeCL.Tests.Shared;

/// <summary>
/// Bytes a hot path allocates on this thread once it is warm. The runtime allocates a few hundred bytes now and then
/// on the calling thread for its own reasons (tiered JIT promoting a method after 30 calls, ONNX Runtime's first use of
/// a pooled buffer), so one window can show a one-off allocation. A window is measured up to <paramref name="tries"/>
/// times and the least is returned: a path that allocates per call shows it in every window and still fails.
/// </summary>
public static class SteadyAllocation
{
    public static long Bytes(Action window, int warmUpWindows = 2, int tries = 3)
    {
        for (int i = 0; i < warmUpWindows; i++)
            window();
        long least = long.MaxValue;
        for (int t = 0; t < tries && least > 0; t++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            window();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }
}
