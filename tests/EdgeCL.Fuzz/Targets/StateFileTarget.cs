using EdgeCL.Core.Errors;
using EdgeCL.Core.Serialization;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Fuzz.Targets;

/// <summary>The prototype state codec (<see cref="PrototypeMemorySerializer"/>, the CLI's state file): as read, then with its CRC fixed.</summary>
/// <remarks>Clear errors: <see cref="StateFormatException"/>, <see cref="EmbeddingException"/> (another space), as StateFile.Load catches.
/// A state that loads must serialise again and read back.</remarks>
internal sealed class StateFileTarget : IFuzzTarget
{
    private readonly EmbeddingSpace _space = new(FuzzKeys.SpaceId, FuzzKeys.Dimension);

    public string Name => "state-file";

    public void Run(byte[] input)
    {
        Load(input);
        if (Crc.Fixed(input) is { } fixedCrc)
            Load(fixedCrc);
    }

    private void Load(byte[] bytes)
    {
        try
        {
            var memory = PrototypeMemorySerializer.Deserialize(bytes, _space);
            PrototypeMemorySerializer.Deserialize(PrototypeMemorySerializer.Serialize(memory), _space);
        }
        catch (Exception ex) when (ex is StateFormatException or EmbeddingException)
        {
            // The documented answer to a bad state file.
        }
    }
}
