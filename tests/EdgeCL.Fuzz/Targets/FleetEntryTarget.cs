using EdgeCL.Core.Fleet;
using EdgeCL.Core.Vectors;
using EdgeCL.Storage.State;
using EdgeCL.Sync.Payloads;

namespace EdgeCL.Fuzz.Targets;

/// <summary>
/// A signed fleet entry as the sync client receives it: verify and decode (<see cref="SignedEntryCodec"/>), merge into
/// the fleet state, store what merged (<see cref="StateStore.SaveFleetEntry"/>, as FleetDevice does).
/// </summary>
/// <remarks>
/// Each input is offered twice: as received (so forged and unsigned bytes are exercised), then re-signed with the
/// trusted harness key when it decodes, so mutations reach the merge and the store instead of dying at the signature.
/// A rejected entry must leave the fleet state and the store's bytes unchanged. An input that reads as an entry bundle
/// (<see cref="FleetBundleCodec"/>, a device's <c>protos/</c> topic) must re-encode to the same bytes, and each entry in it
/// is offered as the sync client offers it.
/// </remarks>
internal sealed class FleetEntryTarget : IFuzzTarget
{
    private const int ResetAfterEntries = 8;
    private readonly EmbeddingSpace _space = new(FuzzKeys.SpaceId, FuzzKeys.Dimension);
    private readonly EntrySigner _peer = FuzzKeys.Device();
    private readonly SignedEntryCodec _codec;
    private readonly string _storePath;
    private FleetState _state;
    private StateStore _store;
    private string _storeHash = "";

    public FleetEntryTarget()
    {
        _codec = new SignedEntryCodec(EntrySigner.Create("pi-00"), FuzzKeys.Trusting(_peer));
        _storePath = Path.Combine(ScratchFolder.Create(Name), "state.db");
        (_state, _store) = Fresh();
    }

    public string Name => "fleet-entry";

    public void Run(byte[] input)
    {
        // Receivers read a bundle as slices, others as copies: both readings must agree on every input.
        bool copied = FleetBundleCodec.TryDecode(input, out byte[][]? bundled, out int parts, out FleetDecodeError copyError);
        bool sliced = FleetBundleCodec.TryDecode(input, out ReadOnlyMemory<byte>[]? slices, out int sliceParts, out FleetDecodeError sliceError);
        if (copied != sliced || copyError != sliceError || parts != sliceParts
            || (copied && (bundled!.Length != slices!.Length || bundled.Where((m, i) => !m.AsSpan().SequenceEqual(slices[i].Span)).Any())))
            throw new InvalidOperationException($"A bundle read as slices ({sliced}, {sliceError}) differs from its copies ({copied}, {copyError}).");
        if (copied && bundled is not null)
        {
            // The part count is part of the encoding: a bundle of a set of 2 re-encodes as one of 2.
            if (!FleetBundleCodec.Encode(bundled, parts).AsSpan().SequenceEqual(input))
                throw new InvalidOperationException("A bundle that decodes does not re-encode to the same bytes: it has two encodings.");
            foreach (byte[] message in bundled)
                Offer(message);
        }
        Offer(input);
        if (input.Length >= FleetEntryCodec.SignatureLength && FleetEntryCodec.TryDecode(input, out FleetEntry? entry, out _)
            && entry.DeviceId == _peer.DeviceId)
            Offer(FleetAggregateTarget.Resign(input, _peer));
        if (_state.EntryCount > ResetAfterEntries)
        {
            _store.Dispose();
            (_state, _store) = Fresh();
        }
    }

    private void Offer(byte[] payload)
    {
        FleetState before = Copy(_state);
        if (!_codec.TryDecode(payload, out FleetEntry? entry, out SyncDropReason reason))
        {
            EnsureUnchanged(before, $"dropped as {reason}");
            return;
        }
        FleetMergeOutcome outcome = _state.Merge(entry);
        if (outcome is FleetMergeOutcome.Applied or FleetMergeOutcome.Conflict)
        {
            _store.SaveFleetEntry(entry, payload); // an ArgumentException here (state took it, store refuses) is a finding
            _storeHash = StoreHash();
        }
        else
        {
            EnsureUnchanged(before, $"merge said {outcome}");
        }
    }

    /// <summary>Compares with the state before the offer and the store's bytes after the last accepted entry.</summary>
    private void EnsureUnchanged(FleetState before, string why)
    {
        if (!_state.ContentEquals(before))
            throw new StateChangedException($"A fleet entry {why} changed the fleet state.");
        if (StoreHash() != _storeHash)
            throw new StateChangedException($"A fleet entry {why} changed the state store's bytes.");
    }

    private string StoreHash() => ScratchFolder.Hash(_storePath) + ScratchFolder.Hash(_storePath + "-wal");

    private FleetState Copy(FleetState state)
    {
        var copy = new FleetState(_space);
        copy.Merge(state);
        return copy;
    }

    private (FleetState, StateStore) Fresh()
    {
        foreach (string suffix in new[] { "", "-wal", "-shm" })
            File.Delete(_storePath + suffix);
        var store = StateStore.Open(_storePath, _space, "pi-00");
        _storeHash = StoreHash();
        return (new FleetState(_space), store);
    }
}
