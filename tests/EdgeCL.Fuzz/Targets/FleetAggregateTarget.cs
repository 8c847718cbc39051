using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Aggregation;
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
/// be finite.
/// </remarks>
internal sealed class FleetAggregateTarget : IFuzzTarget
{
    private const int ResetAfterOffers = 16;
    private readonly EmbeddingSpace _space = new(FuzzKeys.SpaceId, FuzzKeys.Dimension);
    private readonly EntrySigner _aggregator = FuzzKeys.Device();
    private readonly TrustStore _trust;
    private readonly float[] _mean = new float[FuzzKeys.Dimension];
    private AggregateView _view;
    private int _offers;

    public FleetAggregateTarget()
    {
        _trust = FuzzKeys.Trusting(_aggregator);
        _view = new AggregateView(_space, FuzzKeys.ViewerId);
    }

    public string Name => "fleet-aggregate";

    public void Run(byte[] input)
    {
        Offer(input);
        bool decodes = (FleetAggregateCodec.TryDecode(input, out FleetAggregate? a, out _) && a.AggregatorId == _aggregator.DeviceId)
            || (AggregateReceiptCodec.TryDecode(input, out AggregateReceipt? r, out _) && r.AggregatorId == _aggregator.DeviceId);
        if (decodes)
        {
            byte[] resigned = (byte[])input.Clone();
            _aggregator.Sign(FleetEntryCodec.SignedBytes(resigned), resigned.AsSpan(resigned.Length - FleetEntryCodec.SignatureLength));
            Offer(resigned);
        }
        if (++_offers > ResetAfterOffers)
        {
            _view = new AggregateView(_space, FuzzKeys.ViewerId);
            _offers = 0;
        }
    }

    private void Offer(byte[] payload)
    {
        string before = Answers();
        FleetMergeOutcome outcome = FleetMergeOutcome.Malformed;
        if (FleetAggregateCodec.TryDecode(payload, out FleetAggregate? aggregate, out _))
        {
            if (Verified(aggregate.AggregatorId, payload))
                outcome = _view.Merge(aggregate);
        }
        else if (AggregateReceiptCodec.TryDecode(payload, out AggregateReceipt? receipt, out _) && Verified(receipt.AggregatorId, payload))
        {
            outcome = _view.MergeReceipt(receipt);
        }
        string after = Answers();
        if (outcome != FleetMergeOutcome.Applied && after != before)
            throw new StateChangedException($"An aggregate message the view answered {outcome} changed its classes.");
    }

    private bool Verified(string aggregator, byte[] payload) =>
        _trust.Verify(aggregator, FleetEntryCodec.SignedBytes(payload), FleetEntryCodec.Signature(payload)) == SignatureStatus.Valid;

    /// <summary>Every class as the view answers it; a non-finite answer is a finding.</summary>
    private string Answers()
    {
        var text = new System.Text.StringBuilder();
        foreach (string label in _view.Labels)
        {
            bool live = _view.TryGetPrototype(label, _mean, out long count, out long version, out AggregateViewSource source);
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
