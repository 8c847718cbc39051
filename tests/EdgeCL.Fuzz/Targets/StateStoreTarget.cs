using EdgeCL.Core.Errors;
using EdgeCL.Core.Vectors;
using EdgeCL.Storage.Errors;
using EdgeCL.Storage.State;

namespace EdgeCL.Fuzz.Targets;

/// <summary>The SQLite state store opened on foreign bytes, as the agent opens <c>state_dir/state.db</c> at start, then loaded.</summary>
/// <remarks>Clear errors: <see cref="StateStoreException"/>, <see cref="EmbeddingException"/> (another space). A refused
/// file must be left byte-identical: the device's state is never changed by a start that refuses it.</remarks>
internal sealed class StateStoreTarget : IFuzzTarget
{
    private readonly EmbeddingSpace _space = new(FuzzKeys.SpaceId, FuzzKeys.Dimension);
    private readonly string _path;

    public StateStoreTarget() => _path = Path.Combine(ScratchFolder.Create(Name), "state.db");

    public string Name => "state-store";

    public void Run(byte[] input)
    {
        foreach (string suffix in new[] { "", "-wal", "-shm", "-journal" })
            File.Delete(_path + suffix);
        File.WriteAllBytes(_path, input);
        string before = ScratchFolder.Hash(_path);
        try
        {
            using StateStore store = StateStore.Open(_path, _space, "pi-00");
            store.LoadMemory();
            store.LoadFleetState();
        }
        catch (Exception ex) when (ex is StateStoreException or EmbeddingException)
        {
            if (ScratchFolder.Hash(_path) != before)
                throw new StateChangedException($"A refused state database was modified ({ex.Message.Split('\n')[0]}).");
        }
    }
}
