namespace EdgeCL.Sync.Topics;

/// <summary>A parsed v1 topic.</summary>
/// <param name="Kind">Which topic family.</param>
/// <param name="Fleet">The fleet name.</param>
/// <param name="Device">The device (or, for aggregates and receipts, the aggregator) that writes the topic.</param>
/// <param name="SpaceId">The embedding space; for prototypes, aggregates and receipts.</param>
/// <param name="Label">The decoded class label; for prototypes and aggregates (for aggregate bundles, the part: s0, d0, …).</param>
/// <param name="CommandId">The command's id (its nonce) on <c>cmd/{device}/{id}</c>; null on the older <c>cmd/{device}</c>.</param>
/// <param name="Recipient">The device a receipt is for; only for <see cref="FleetTopicKind.Receipt"/>.</param>
public sealed record FleetTopic(FleetTopicKind Kind, string Fleet, string Device, string? SpaceId = null, string? Label = null, string? CommandId = null,
    string? Recipient = null);
