using System.Diagnostics.CodeAnalysis;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Fleet;

/// <summary>
/// The fleet's prototype state for one embedding space: a state-based CRDT holding, per (device, label), the
/// entry with the highest version (design.md §3).
/// </summary>
/// <remarks>
/// <para><b>Merge.</b> Each (device, label) slot keeps the maximum under <see cref="FleetEntryOrder"/>, so merging is
/// commutative, associative and idempotent: duplicates, reordering and replays from the broker cannot change the
/// result. Entries of another space or that break a rule never touch the state.</para>
/// <para><b>Read.</b> The fleet prototype of a label is Σ_d w_d·s_d·μ_d / Σ_d w_d over the live entries, accumulated
/// in double in ordinal device-id order, so every replica computes bit-identical prototypes; w_d is the count n_d
/// (min(n_d, cap) under a capped <see cref="Policy"/>) and s_d is 1 (or shrinks μ_d to the policy's norm bound). A device's tombstone
/// removes only that device's contribution; a fleet-wide forget is a command to every device.</para>
/// <para>Entries handed out by this type are the stored instances: treat them (and their <c>Mean</c> arrays) as read-only.
/// Entries passed in are copied.</para>
/// <para>Not thread-safe: serialise every call, e.g. with a lock shared by the receive loop and the learner.</para>
/// </remarks>
public sealed class FleetState
{
    // label → (device → entry), devices in ordinal order so that reads sum in a fixed order.
    private readonly SortedDictionary<string, SortedList<string, FleetEntry>> _byLabel = new(StringComparer.Ordinal);

    /// <summary>Creates an empty state for one embedding space.</summary>
    /// <param name="space">The embedding space every entry must belong to.</param>
    /// <param name="policy">How reads weigh each device's entry (the default: by its count).</param>
    /// <exception cref="ArgumentException">The space or the policy is invalid.</exception>
    public FleetState(EmbeddingSpace space, FleetMergePolicy policy = default)
    {
        ArgumentNullException.ThrowIfNull(space);
        space.Validate();
        if (policy.Check() is { } problem)
            throw new ArgumentException($"Merge policy: {problem}.", nameof(policy));
        Space = space;
        Policy = policy;
    }

    /// <summary>The embedding space every entry must belong to.</summary>
    public EmbeddingSpace Space { get; }

    /// <summary>How <see cref="TryGetPrototype"/> weighs each device's entry; merging ignores it (entries are kept as sent).</summary>
    public FleetMergePolicy Policy { get; }

    /// <summary>Number of (device, label) slots held, live and tombstone.</summary>
    public int EntryCount { get; private set; }

    /// <summary>Same-version, different-content entries seen by <see cref="Merge(FleetEntry)"/> since creation.</summary>
    public long ConflictCount { get; private set; }

    /// <summary>Labels with at least one entry (live or tombstone), in ordinal order.</summary>
    public IEnumerable<string> Labels => _byLabel.Keys;

    /// <summary>Every held entry, ordered by label then device id (ordinal).</summary>
    public IEnumerable<FleetEntry> Entries
    {
        get
        {
            foreach (SortedList<string, FleetEntry> devices in _byLabel.Values)
                foreach (FleetEntry entry in devices.Values)
                    yield return entry;
        }
    }

    /// <summary>The entries (live and tombstone) held for one label, in ordinal device-id order; empty when none.</summary>
    public IReadOnlyList<FleetEntry> EntriesOf(string label) =>
        label is not null && _byLabel.TryGetValue(label, out SortedList<string, FleetEntry>? devices) ? devices.Values.AsReadOnly() : [];

    /// <summary>Offers one entry to the state.</summary>
    /// <returns>What happened; only <see cref="FleetMergeOutcome.Applied"/> and <see cref="FleetMergeOutcome.Conflict"/> can change the state.</returns>
    public FleetMergeOutcome Merge(FleetEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.SpaceId is not null && entry.SpaceId != Space.Id)
            return FleetMergeOutcome.WrongSpace;
        if (FleetEntryRules.Check(entry, Space.Dimension) is not null)
            return FleetMergeOutcome.Invalid;
        return MergeValid(entry, copy: true);
    }

    /// <summary>Merges every entry of <paramref name="other"/> into this state.</summary>
    /// <returns>How many slots changed.</returns>
    /// <exception cref="Errors.EmbeddingException">The other state is of another embedding space.</exception>
    public int Merge(FleetState other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Space.EnsureSame(other.Space, "The other fleet state");
        if (ReferenceEquals(other, this))
            return 0;
        int changed = 0;
        // Entries of a state are already valid and never mutated, so they can be shared without a copy.
        foreach (FleetEntry entry in other.Entries)
            if (MergeValid(entry, copy: false) is FleetMergeOutcome.Applied or FleetMergeOutcome.Conflict)
                changed++;
        return changed;
    }

    /// <summary>Decodes a payload, verifies its signature against <paramref name="trustStore"/>, and merges it.</summary>
    /// <remarks>The signature is checked with the key of the device named inside the payload, so a device cannot sign for another.</remarks>
    public FleetReceipt Receive(ReadOnlySpan<byte> payload, TrustStore trustStore)
    {
        ArgumentNullException.ThrowIfNull(trustStore);
        if (!FleetEntryCodec.TryDecode(payload, out FleetEntry? entry, out FleetDecodeError error))
            return new FleetReceipt(FleetMergeOutcome.Malformed, error, null);
        if (entry.SpaceId != Space.Id)
            return new FleetReceipt(FleetMergeOutcome.WrongSpace, FleetDecodeError.None, entry);
        switch (trustStore.VerifyPayload(entry.DeviceId, payload))
        {
            case SignatureStatus.UnknownDevice:
                return new FleetReceipt(FleetMergeOutcome.UnknownDevice, FleetDecodeError.None, entry);
            case SignatureStatus.Invalid:
                return new FleetReceipt(FleetMergeOutcome.BadSignature, FleetDecodeError.None, entry);
        }
        if (FleetEntryRules.Check(entry, Space.Dimension) is not null)
            return new FleetReceipt(FleetMergeOutcome.Invalid, FleetDecodeError.None, entry);
        // The decoder allocated a fresh entry nobody else holds: no copy needed.
        return new FleetReceipt(MergeValid(entry, copy: false), FleetDecodeError.None, entry);
    }

    /// <summary>The held entry of one (device, label) slot.</summary>
    public bool TryGetEntry(string deviceId, string label, [NotNullWhen(true)] out FleetEntry? entry)
    {
        entry = null;
        return deviceId is not null && label is not null
            && _byLabel.TryGetValue(label, out SortedList<string, FleetEntry>? devices)
            && devices.TryGetValue(deviceId, out entry);
    }

    /// <summary>Computes the fleet prototype of <paramref name="label"/> into <paramref name="mean"/>.</summary>
    /// <param name="label">The class label.</param>
    /// <param name="mean">Destination of length <see cref="EmbeddingSpace.Dimension"/>.</param>
    /// <param name="count">Σ_d w_d over the live entries: the counts, capped per device under a capped <see cref="Policy"/> (saturating at <see cref="long.MaxValue"/>).</param>
    /// <param name="version">The fleet version of the class: Σ of every entry's version, live and tombstone (see <see cref="ToPrototypeMemory"/>).</param>
    /// <returns>False when no device holds a live entry for the label (then <paramref name="mean"/> is untouched).</returns>
    public bool TryGetPrototype(string label, Span<float> mean, out long count, out long version) =>
        TryGetPrototype(label, Policy, mean, out count, out version);

    /// <summary><see cref="TryGetPrototype(string, Span{float}, out long, out long)"/> under another policy (an auditor
    /// checking an aggregate built with the policy it records).</summary>
    internal bool TryGetPrototype(string label, FleetMergePolicy policy, Span<float> mean, out long count, out long version)
    {
        if (mean.Length != Space.Dimension)
            throw new ArgumentException($"The destination has {mean.Length} values but the space has {Space.Dimension}.", nameof(mean));
        count = 0;
        version = 0;
        if (label is null || !_byLabel.TryGetValue(label, out SortedList<string, FleetEntry>? devices))
            return false;
        double[] sum = new double[Space.Dimension];
        double weight = 0;
        foreach (FleetEntry entry in devices.Values)
        {
            version = SaturatingAdd(version, entry.Version);
            if (entry.IsTombstone)
                continue;
            long w = policy.Weight(entry.Count);
            count = SaturatingAdd(count, w);
            // Counts are ≤ 2^53, so the weight is exact; Σ w·s·μ in double keeps the merge exact to float precision
            // (f = w when the policy bounds no norm, so count weighting sums exactly what it always did).
            weight += w;
            float[] m = entry.Mean;
            double f = policy.Multiplier(entry.Count, m);
            for (int j = 0; j < sum.Length; j++)
                sum[j] += f * m[j];
        }
        if (count == 0)
            return false;
        for (int j = 0; j < sum.Length; j++)
            mean[j] = (float)(sum[j] / weight);
        return true;
    }

    /// <summary>Builds a <see cref="PrototypeMemory"/> holding the fleet prototype of every label.</summary>
    /// <remarks>
    /// <para>Each class gets count Σ_d w_d (the weights of <see cref="Policy"/>) and version Σ_d v_d over all of the label's entries (live and tombstone).
    /// The sum, unlike the maximum, grows whenever any device's entry is replaced, so a changed fleet class always
    /// has a higher version than before; labels whose entries are all tombstones become tombstones with that version.</para>
    /// <para>Classes are restored in ordinal label order, so equal states give identical memories.</para>
    /// </remarks>
    /// <exception cref="ArgumentException">A label is longer than <see cref="PrototypeMemoryOptions.MaxLabelLength"/>, or the fleet has more classes than <see cref="PrototypeMemoryOptions.MaxClasses"/>.</exception>
    public PrototypeMemory ToPrototypeMemory(PrototypeMemoryOptions? options = null)
    {
        options ??= PrototypeMemoryOptions.Default;
        options.Validate();
        var memory = new PrototypeMemory(Space, options);
        float[] mean = new float[Space.Dimension];
        foreach (string label in _byLabel.Keys)
        {
            if (label.Length > options.MaxLabelLength)
                throw new ArgumentException(
                    $"Fleet label '{(label.Length > 16 ? label[..16] + "…" : label)}' has {label.Length} characters but PrototypeMemoryOptions.MaxLabelLength is {options.MaxLabelLength}; raise MaxLabelLength.");
            if (TryGetPrototype(label, mean, out long count, out long version))
            {
                if (memory.ClassCount >= options.MaxClasses)
                    throw new ArgumentException(
                        $"The fleet holds more than {options.MaxClasses} classes (PrototypeMemoryOptions.MaxClasses); raise MaxClasses.");
                memory.Restore(label, count, version, mean);
            }
            else
            {
                memory.RestoreTombstone(label, version);
            }
        }
        return memory;
    }

    /// <summary>Whether both states hold exactly the same entries (same space, same slots, identical content).</summary>
    public bool ContentEquals(FleetState other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Space != Space || other.EntryCount != EntryCount)
            return false;
        foreach (FleetEntry entry in Entries)
            if (!other.TryGetEntry(entry.DeviceId, entry.Label, out FleetEntry? theirs) || FleetEntryOrder.Compare(entry, theirs) != 0)
                return false;
        return true;
    }

    private FleetMergeOutcome MergeValid(FleetEntry entry, bool copy)
    {
        if (!_byLabel.TryGetValue(entry.Label, out SortedList<string, FleetEntry>? devices))
        {
            devices = new SortedList<string, FleetEntry>(StringComparer.Ordinal);
            _byLabel.Add(entry.Label, devices);
        }
        if (!devices.TryGetValue(entry.DeviceId, out FleetEntry? held))
        {
            devices.Add(entry.DeviceId, copy ? Copy(entry) : entry);
            EntryCount++;
            return FleetMergeOutcome.Applied;
        }
        if (entry.Version < held.Version)
            return FleetMergeOutcome.Stale;
        if (entry.Version > held.Version)
        {
            devices[entry.DeviceId] = copy ? Copy(entry) : entry;
            return FleetMergeOutcome.Applied;
        }
        int order = FleetEntryOrder.Compare(entry, held);
        if (order == 0)
            return FleetMergeOutcome.Duplicate;
        ConflictCount++;
        if (order > 0)
            devices[entry.DeviceId] = copy ? Copy(entry) : entry;
        return FleetMergeOutcome.Conflict;
    }

    private static FleetEntry Copy(FleetEntry e) => e with { Mean = e.Mean.Length == 0 ? [] : (float[])e.Mean.Clone() };

    private static long SaturatingAdd(long a, long b)
    {
        long s = a + b;
        // Both operands are ≥ 0 here, so overflow shows as a negative sum.
        return s < 0 ? long.MaxValue : s;
    }
}
