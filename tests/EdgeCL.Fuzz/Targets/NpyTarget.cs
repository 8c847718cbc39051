using EdgeCL.Core.Errors;
using EdgeCL.Core.Serialization;

namespace EdgeCL.Fuzz.Targets;

/// <summary>.npy embedding files (<see cref="Npy.Read"/>, as DatasetLoader reads them). Clear error: <see cref="StateFormatException"/>.</summary>
internal sealed class NpyTarget : IFuzzTarget
{
    public string Name => "npy";

    public void Run(byte[] input)
    {
        try
        {
            Npy.Read(input);
        }
        catch (StateFormatException)
        {
            // The documented answer to a bad .npy.
        }
    }
}
