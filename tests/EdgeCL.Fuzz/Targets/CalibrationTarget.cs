using System.Security.Cryptography;
using EdgeCL.Core.Rollout;

namespace EdgeCL.Fuzz.Targets;

/// <summary>Operator calibration pairs (<see cref="CalibrationPairs.Decode"/>, as a device reads them beside a new backbone):
/// as read, then with the SHA-256 trailer made right so the fuzzer reaches the checks behind it.</summary>
/// <remarks>Clear error: <see cref="RolloutException"/>. The format is canonical, so pairs that decode must encode to the same bytes.</remarks>
internal sealed class CalibrationTarget : IFuzzTarget
{
    public string Name => "calibration";

    public void Run(byte[] input)
    {
        Load(input);
        if (input.Length > 32)
        {
            byte[] copy = (byte[])input.Clone();
            SHA256.HashData(copy.AsSpan(0, copy.Length - 32), copy.AsSpan(copy.Length - 32));
            Load(copy);
        }
    }

    private static void Load(byte[] bytes)
    {
        CalibrationPairs pairs;
        try
        {
            pairs = CalibrationPairs.Decode(bytes);
        }
        catch (RolloutException)
        {
            return; // the documented answer to a bad calibration file
        }
        if (!pairs.Encode().AsSpan().SequenceEqual(bytes))
            throw new InvalidOperationException("calibration pairs decoded from bytes that they do not encode to");
    }
}
