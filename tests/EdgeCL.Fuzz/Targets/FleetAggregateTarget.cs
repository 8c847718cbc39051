using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Aggregation;
using EdgeCL.Core.Fleet.Signing;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Fuzz.Targets;

/// <summary>
/// A signed aggregate or receipt as a device in aggregate mode receives it: decode (<see cref="FleetAggregateCodec"/>,
/// <see cref="AggregateReceiptCodec"/>), verify with the trusted aggregator's key, merge into the <see cref="AggregateView"/>,
/// and read every class back.
/// </summary>
/// <remarks>
/// As in <see cref="FleetEntryTarget"/>, an input that decodes is offered a second time re-signed with the trusted key, so
/// mutations reach the merge. A rejected or stale message must leave the view's answers unchanged, and every answer must
/// be finite. Two views take every message: a count-weighted one and one under <see cref="CappedPolicy"/>, so aggregates
/// of either policy reach a merge and the other view's refusal.
/// </remarks>
internal sealed class FleetAggregateTarget : IFuzzTarget
{
    /// <summary>The second view's merge policy (and the capped seed's).</summary>
    public static readonly FleetMergePolicy CappedPolicy = FleetMergePolicy.Capped(3, 2f);

    private const int ResetAfterOffers = 16;
    private readonly EmbeddingSpace _space = new(FuzzKeys.SpaceId, FuzzKeys.Dimension);
    private readonly EntrySigner _aggregator = FuzzKeys.Device();
    private readonly TrustStore _trust;
    private readonly VerifiedRootCache _roots = new(4);
    private readonly float[] _mean = new float[FuzzKeys.Dimension];
    private AggregateView[] _views;
    private int _offers;

    public FleetAggregateTarget()
    {
        _trust = FuzzKeys.Trusting(_aggregator);
        _views = NewViews();
    }

    public string Name => "fleet-aggregate";

    public void Run(byte[] input)
    {
        Offer(input);
        bool decodes = (FleetAggregateCodec.TryDecode(input, out FleetAggregate? a, out _) && a.AggregatorId == _aggregator.DeviceId)
            || (AggregateReceiptCodec.TryDecode(input, out AggregateReceipt? r, out _) && r.AggregatorId == _aggregator.DeviceId);
        if (decodes)
        {
            Offer(Resign(input, _aggregator));
        }
        if (++_offers > ResetAfterOffers)
        {
            _views = NewViews();
            _offers = 0;
        }
    }

    private AggregateView[] NewViews() => [new AggregateView(_space, FuzzKeys.ViewerId), new AggregateView(_space, FuzzKeys.ViewerId, CappedPolicy)];

    private void Offer(byte[] payload)
    {
        foreach (AggregateView view in _views)
            Offer(view, payload);
    }

    private void Offer(AggregateView view, byte[] payload)
    {
        string before = Answers(view);
        FleetMergeOutcome outcome = FleetMergeOutcome.Malformed;
        if (FleetAggregateCodec.TryDecode(payload, out FleetAggregate? aggregate, out _))
        {
            if (Verified(aggregate.AggregatorId, payload))
                outcome = view.Merge(aggregate);
        }
        else if (AggregateReceiptCodec.TryDecode(payload, out AggregateReceipt? receipt, out _) && Verified(receipt.AggregatorId, payload))
        {
            outcome = view.MergeReceipt(receipt);
        }
        string after = Answers(view);
        if (outcome != FleetMergeOutcome.Applied && after != before)
            throw new StateChangedException($"An aggregate message the view answered {outcome} changed its classes.");
    }

    // With a root cache, as a device verifies: a root once verified must never let another message through.
    private bool Verified(string aggregator, byte[] payload) => _trust.VerifyPayload(aggregator, payload, _roots) == SignatureStatus.Valid;

    /// <summary>The input with a valid signature by <paramref name="key"/> over what it signs (its body, or its batch root).</summary>
    internal static byte[] Resign(byte[] input, EntrySigner key)
    {
        byte[] resigned = (byte[])input.Clone();
        if (SignedPayload.SignedData(resigned) is { } data)
            key.Sign(data, resigned.AsSpan(resigned.Length - FleetEntryCodec.SignatureLength));
        return resigned;
    }

    /// <summary>Every class as the view answers it; a non-finite answer is a finding.</summary>
    private string Answers(AggregateView view)
    {
        var text = new System.Text.StringBuilder();
        foreach (string label in view.Labels)
        {
            bool live = view.TryGetPrototype(label, _mean, out long count, out long version, out AggregateViewSource source);
            text.Append(label).Append(live).Append(count).Append(version).Append(source);
            if (!live)
                continue;
            foreach (float x in _mean)
            {
                if (!float.IsFinite(x))
                    throw new InvalidOperationException($"The aggregate view answered a non-finite value for '{label}'.");
                text.Append(BitConverter.SingleToUInt32Bits(x));
            }
        }
        return text.ToString();
    }
}
