namespace EdgeCL.Fuzz;

/// <summary>One parser under fuzzing: runs one input the way production does.</summary>
/// <remarks>
/// A target catches only the exception types its parser documents as the clear-error answer to bad input. Anything
/// else escaping <see cref="Run"/> (IndexOutOfRange, NullReference, Overflow, OutOfMemory...) is a crash to afl-fuzz,
/// and so is a <see cref="StateChangedException"/>: rejected input that changed stored state.
/// </remarks>
internal interface IFuzzTarget
{
    /// <summary>The name ops/fuzz/run.sh passes (also the corpus folder's name).</summary>
    string Name { get; }

    /// <summary>Feeds one input to the parser.</summary>
    void Run(byte[] input);
}

/// <summary>Rejected input changed state that production keeps (a store, a learner): a finding like any crash.</summary>
internal sealed class StateChangedException(string message) : Exception(message);
