using System.Diagnostics.CodeAnalysis;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Fleet.Aggregation;

/// <summary>
/// A device's fleet view built from aggregates instead of every device's entries: per class the best aggregate, combined
/// with the device's own entries through the aggregators' receipts (docs/fleet-aggregation.md).
/// </summary>
/// <remarks>
/// <para><b>Merge.</b> Per (aggregator, class) the view keeps the maximum aggregate under <see cref="FleetAggregation.Compare"/>,
/// per (aggregator, class) the maximum receipt line, and the device's own latest entries: each is a join of a semilattice,
/// so duplicates, reordering and replays cannot change the result.</para>
/// <para><b>Read.</b> For a class the device never contributed to, the best aggregate of any aggregator. For a class it
/// contributed to, the best aggregate whose receipt says which own version it includes; if that is the device's latest
/// version the aggregate is used as is (exact), otherwise the included entry is taken out and the latest added. Once the
/// fleet is quiet every read is <see cref="AggregateViewSource.Aggregate"/>: bit-identical to <see cref="FleetState"/>.</para>
/// <para>Not thread-safe: serialise every call.</para>
/// </remarks>
public sealed class AggregateView
{
    /// <summary>Own versions kept per class, so that an aggregate including an older one can still be corrected.</summary>
    public const int OwnHistory = 8;

    private readonly SortedDictionary<string, Dictionary<string, FleetAggregate>> _aggregates = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, AggregateReceiptLine>> _receipts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<FleetEntry>> _own = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (FleetAggregate Aggregate, long Included)> _settled = new(StringComparer.Ordinal);

    /// <summary>Creates an empty view for one device in one space.</summary>
    /// <param name="space">The embedding space.</param>
    /// <param name="deviceId">The device whose view this is.</param>
    /// <param name="policy">The fleet's merge policy: aggregates built under another are refused, and the device's own
    /// changes are combined with an aggregate under it.</param>
    public AggregateView(EmbeddingSpace space, string deviceId, FleetMergePolicy policy = default)
    {
        ArgumentNullException.ThrowIfNull(space);
        space.Validate();
        FleetLimits.EnsureValidDeviceId(deviceId);
        if (policy.Check() is { } problem)
            throw new ArgumentException($"Merge policy: {problem}.", nameof(policy));
        Space = space;
        DeviceId = deviceId;
        Policy = policy;
    }

    /// <summary>The merge policy aggregates must have been built with.</summary>
    public FleetMergePolicy Policy { get; }

    /// <summary>The embedding space.</summary>
    public EmbeddingSpace Space { get; }

    /// <summary>The device whose view this is.</summary>
    public string DeviceId { get; }

    /// <summary>(aggregator, class) aggregates held.</summary>
    public int AggregateCount { get; private set; }

    /// <summary>Every label the view knows (from aggregates or own entries), ordinal.</summary>
    public IEnumerable<string> Labels => _aggregates.Keys.Union(_own.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal);

    /// <summary>Offers one verified aggregate.</summary>
    public FleetMergeOutcome Merge(FleetAggregate aggregate)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        if (aggregate.SpaceId != Space.Id)
            return FleetMergeOutcome.WrongSpace;
        if (FleetAggregateCodec.Check(aggregate) is not null || (!aggregate.IsTombstone && aggregate.Mean.Length != Space.Dimension))
            return FleetMergeOutcome.Invalid;
        // Mixing policies would answer with a mean this device's peers in entries mode never compute (and cannot be corrected
        // by an own change, whose weight depends on the policy): refused, and the client counts and logs it once.
        if (aggregate.Policy != Policy)
            return FleetMergeOutcome.PolicyMismatch;
        if (!_aggregates.TryGetValue(aggregate.Label, out Dictionary<string, FleetAggregate>? byAggregator))
            _aggregates.Add(aggregate.Label, byAggregator = new Dictionary<string, FleetAggregate>(StringComparer.Ordinal));
        if (byAggregator.TryGetValue(aggregate.AggregatorId, out FleetAggregate? held))
        {
            int order = FleetAggregation.Compare(aggregate, held);
            if (order <= 0)
                return order == 0 ? FleetMergeOutcome.Duplicate : FleetMergeOutcome.Stale;
        }
        else
        {
            AggregateCount++;
        }
        byAggregator[aggregate.AggregatorId] = aggregate;
        return FleetMergeOutcome.Applied;
    }

    /// <summary>Offers one verified receipt; receipts for another device or space are refused.</summary>
    /// <returns><see cref="FleetMergeOutcome.Applied"/> when at least one line changed.</returns>
    public FleetMergeOutcome MergeReceipt(AggregateReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        if (receipt.SpaceId != Space.Id)
            return FleetMergeOutcome.WrongSpace;
        if (receipt.DeviceId != DeviceId)
            return FleetMergeOutcome.Invalid;
        if (!_receipts.TryGetValue(receipt.AggregatorId, out Dictionary<string, AggregateReceiptLine>? lines))
            _receipts.Add(receipt.AggregatorId, lines = new Dictionary<string, AggregateReceiptLine>(StringComparer.Ordinal));
        bool changed = false;
        foreach (AggregateReceiptLine line in receipt.Lines)
        {
            if (lines.TryGetValue(line.Label, out AggregateReceiptLine held) && CompareLines(line, held) <= 0)
                continue;
            lines[line.Label] = line;
            changed = true;
        }
        return changed ? FleetMergeOutcome.Applied : FleetMergeOutcome.Duplicate;
    }

    /// <summary>Records one of this device's own entries (as the fleet sees it: decoded from its own payload).</summary>
    public FleetMergeOutcome MergeOwn(FleetEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.SpaceId != Space.Id)
            return FleetMergeOutcome.WrongSpace;
        if (entry.DeviceId != DeviceId || FleetEntryRules.Check(entry, Space.Dimension) is not null)
            return FleetMergeOutcome.Invalid;
        if (!_own.TryGetValue(entry.Label, out List<FleetEntry>? history))
            _own.Add(entry.Label, history = []);
        if (history.Count > 0)
        {
            FleetEntry latest = history[^1];
            int order = FleetEntryOrder.Compare(entry, latest);
            if (order <= 0)
                return order == 0 ? FleetMergeOutcome.Duplicate : FleetMergeOutcome.Stale;
            if (entry.Version == latest.Version)
                history.RemoveAt(history.Count - 1); // same version, different content: keep the winner only
        }
        history.Add(entry with { Mean = (float[])entry.Mean.Clone() });
        if (history.Count > OwnHistory)
            history.RemoveAt(0);
        return FleetMergeOutcome.Applied;
    }

    /// <summary>This device's latest own entry of every class, ordinal by label.</summary>
    public IEnumerable<FleetEntry> OwnEntries => _own.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value[^1]);

    /// <summary>This device's latest own entry of a class.</summary>
    public bool TryGetOwn(string label, [NotNullWhen(true)] out FleetEntry? entry)
    {
        entry = label is not null && _own.TryGetValue(label, out List<FleetEntry>? history) ? history[^1] : null;
        return entry is not null;
    }

    /// <summary>The fleet prototype of a class as this device sees it.</summary>
    /// <param name="label">The class.</param>
    /// <param name="mean">Destination of length <see cref="EmbeddingSpace.Dimension"/>.</param>
    /// <param name="count">Σ of the live contributions' weights (counts, capped per device under a capped <see cref="Policy"/>).</param>
    /// <param name="version">The fleet version of the class (Σ of contributions' versions).</param>
    /// <param name="source">How the value was obtained.</param>
    /// <returns>False when the class has no live contribution (a tombstone, or unknown: see <paramref name="source"/>).</returns>
    public bool TryGetPrototype(string label, Span<float> mean, out long count, out long version, out AggregateViewSource source)
    {
        if (mean.Length != Space.Dimension)
            throw new ArgumentException($"The destination has {mean.Length} values but the space has {Space.Dimension}.", nameof(mean));
        count = 0;
        version = 0;
        source = AggregateViewSource.None;
        if (label is null)
            return false;
        FleetAggregate? best = Best(label);
        if (!TryGetOwn(label, out FleetEntry? own))
        {
            if (best is null)
                return false;
            source = AggregateViewSource.Aggregate;
            return Copy(best, mean, out count, out version);
        }
        (FleetAggregate Aggregate, long Included)? confirmed = Confirmed(label, own);
        if (confirmed is { } c)
        {
            if (c.Included == own.Version)
            {
                source = AggregateViewSource.Aggregate;
                return Copy(c.Aggregate, mean, out count, out version);
            }
            FleetEntry? included = FindOwn(label, c.Included);
            if (included is not null)
            {
                source = AggregateViewSource.AggregateWithOwnChange;
                return Combine(c.Aggregate, included, own, mean, out count, out version);
            }
        }
        if (best is null)
        {
            source = AggregateViewSource.OwnOnly;
            version = own.Version;
            count = Policy.Weight(own.Count);
            if (own.IsTombstone)
                return false;
            own.Mean.CopyTo(mean);
            if (Policy.IsNormBounded)
            {
                // As FleetState reads a class only this device holds: w·s·μ / w.
                double f = Policy.Multiplier(own.Count, own.Mean);
                for (int j = 0; j < mean.Length; j++)
                    mean[j] = (float)(f * own.Mean[j] / count);
            }
            return true;
        }
        source = AggregateViewSource.Unconfirmed;
        return Combine(best, null, own, mean, out count, out version);
    }

    /// <summary>Builds a <see cref="PrototypeMemory"/> of every class, as <see cref="FleetState.ToPrototypeMemory"/> does.</summary>
    /// <exception cref="ArgumentException">A label is too long or there are more classes than the options allow.</exception>
    public PrototypeMemory ToPrototypeMemory(PrototypeMemoryOptions? options = null)
    {
        options ??= PrototypeMemoryOptions.Default;
        options.Validate();
        var memory = new PrototypeMemory(Space, options);
        float[] mean = new float[Space.Dimension];
        foreach (string label in Labels)
        {
            if (label.Length > options.MaxLabelLength)
                throw new ArgumentException($"Fleet label '{label[..Math.Min(16, label.Length)]}…' has {label.Length} characters but PrototypeMemoryOptions.MaxLabelLength is {options.MaxLabelLength}; raise MaxLabelLength.");
            if (TryGetPrototype(label, mean, out long count, out long version, out _))
            {
                if (memory.ClassCount >= options.MaxClasses)
                    throw new ArgumentException($"The fleet holds more than {options.MaxClasses} classes (PrototypeMemoryOptions.MaxClasses); raise MaxClasses.");
                memory.Restore(label, count, version, mean);
            }
            else if (version > 0)
            {
                memory.RestoreTombstone(label, version);
            }
        }
        return memory;
    }

    /// <summary>The best aggregate of a class over every aggregator, or null.</summary>
    public FleetAggregate? Best(string label)
    {
        if (label is null || !_aggregates.TryGetValue(label, out Dictionary<string, FleetAggregate>? byAggregator))
            return null;
        FleetAggregate? best = null;
        foreach (FleetAggregate a in byAggregator.Values)
            if (best is null || FleetAggregation.Compare(a, best) > 0)
                best = a;
        return best;
    }

    // The best aggregate whose inclusion of this device a receipt confirms: the receipt names it, or names an older
    // aggregate of the same aggregator while this device has not changed the class since (an aggregator's state only
    // grows, so its later aggregates still include the same own version). The last confirmed one is remembered, so that
    // an aggregate whose receipt is still on its way does not make the view fall back.
    private (FleetAggregate Aggregate, long Included)? Confirmed(string label, FleetEntry own)
    {
        (FleetAggregate Aggregate, long Included)? found = null;
        if (_aggregates.TryGetValue(label, out Dictionary<string, FleetAggregate>? byAggregator))
        {
            foreach ((string aggregator, FleetAggregate a) in byAggregator)
            {
                if (!_receipts.TryGetValue(aggregator, out Dictionary<string, AggregateReceiptLine>? lines)
                    || !lines.TryGetValue(label, out AggregateReceiptLine line))
                    continue;
                bool confirms = line.Names(a) || (line.IncludedVersion == own.Version && a.VersionSum >= line.VersionSum);
                if (confirms && (found is null || FleetAggregation.Compare(a, found.Value.Aggregate) > 0))
                    found = (a, line.IncludedVersion);
            }
        }
        if (found is { } f && (!_settled.TryGetValue(label, out var settled) || FleetAggregation.Compare(f.Aggregate, settled.Aggregate) >= 0))
            _settled[label] = f;
        return _settled.TryGetValue(label, out var s) ? s : null;
    }

    private FleetEntry? FindOwn(string label, long version)
    {
        if (!_own.TryGetValue(label, out List<FleetEntry>? history))
            return null;
        foreach (FleetEntry e in history)
            if (e.Version == version)
                return e;
        return null;
    }

    private static bool Copy(FleetAggregate a, Span<float> mean, out long count, out long version)
    {
        count = a.Count;
        version = a.VersionSum;
        if (a.IsTombstone)
            return false;
        a.Mean.CopyTo(mean);
        return true;
    }

    // (W·μ − f_old·μ_old + f_new·μ_new) / (W − w_old + w_new), in double; w = the policy's weight of a count, f = w
    // times the factor that bounds the mean's norm (f = w without a bound).
    private bool Combine(FleetAggregate a, FleetEntry? included, FleetEntry own, Span<float> mean, out long count, out long version)
    {
        long removed = Policy.Weight(included?.Count ?? 0), added = Policy.Weight(own.Count);
        double takeOut = included is { IsTombstone: false } ? Policy.Multiplier(included.Count, included.Mean) : 0;
        double putIn = own.IsTombstone ? 0 : Policy.Multiplier(own.Count, own.Mean);
        count = a.Count - removed + added;
        version = a.VersionSum - (included?.Version ?? 0) + own.Version;
        if (count <= 0)
        {
            count = 0;
            return false;
        }
        for (int j = 0; j < mean.Length; j++)
        {
            double sum = 0;
            if (!a.IsTombstone)
                sum += (double)a.Count * a.Mean[j];
            if (included is { IsTombstone: false })
                sum -= takeOut * included.Mean[j];
            if (!own.IsTombstone)
                sum += putIn * own.Mean[j];
            mean[j] = (float)(sum / count);
        }
        return true;
    }

    private static int CompareLines(AggregateReceiptLine a, AggregateReceiptLine b)
    {
        int c = a.VersionSum.CompareTo(b.VersionSum);
        if (c == 0)
            c = a.DigestPrefix.CompareTo(b.DigestPrefix);
        return c == 0 ? a.IncludedVersion.CompareTo(b.IncludedVersion) : c;
    }
}
