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

    /// <summary><c>edgecl/v1/{fleet}/{space}/aggs/{aggregator}/{part}</c>: part of an aggregator's retained snapshot
    /// (<c>s0</c>, <c>s1</c>, …) or of the delta since it (<c>d0</c>, …); Device = the aggregator, Label = the part.</summary>
    AggregateBundle,

    /// <summary><c>edgecl/v1/{fleet}/{space}/protos/{device}/{part}</c>: part of a device's own entries as a retained
    /// snapshot (<c>s0</c>, …) or delta (<c>d0</c>, …); Label = the part.</summary>
    PrototypeBundle,
}
