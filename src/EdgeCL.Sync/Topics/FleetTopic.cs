namespace EdgeCL.Sync.Topics;

/// <summary>A parsed v1 topic.</summary>
/// <param name="Kind">Which topic family.</param>
/// <param name="Fleet">The fleet name.</param>
/// <param name="Device">The device the topic belongs to.</param>
/// <param name="SpaceId">The embedding space; only for <see cref="FleetTopicKind.Prototype"/>.</param>
/// <param name="Label">The decoded class label; only for <see cref="FleetTopicKind.Prototype"/>.</param>
/// <param name="CommandId">The command's id (its nonce) on <c>cmd/{device}/{id}</c>; null on the older <c>cmd/{device}</c>.</param>
public sealed record FleetTopic(FleetTopicKind Kind, string Fleet, string Device, string? SpaceId = null, string? Label = null, string? CommandId = null);
