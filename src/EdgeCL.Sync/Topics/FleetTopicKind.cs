namespace EdgeCL.Sync.Topics;

/// <summary>The kinds of topic in the v1 layout (design.md §3).</summary>
public enum FleetTopicKind
{
    /// <summary><c>edgecl/v1/{fleet}/{space}/proto/{device}/{class}</c>: one retained entry.</summary>
    Prototype,

    /// <summary><c>edgecl/v1/{fleet}/status/{device}</c>: retained birth or last will.</summary>
    Status,

    /// <summary><c>edgecl/v1/{fleet}/cmd/{device}[/{id}]</c>: a command for one device.</summary>
    Command,

    /// <summary><c>edgecl/v1/{fleet}/{space}/agg/{aggregator}/{class}</c>: one aggregator's merge of a class (Device = the aggregator).</summary>
    Aggregate,

    /// <summary><c>edgecl/v1/{fleet}/{space}/rcpt/{aggregator}/{device}</c>: an aggregator's receipt for one device (Device = the aggregator).</summary>
    Receipt,
}
