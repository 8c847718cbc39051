namespace EdgeCL.Core.Fleet.Aggregation;

/// <summary>Where <see cref="AggregateView.TryGetPrototype"/> took a class from.</summary>
public enum AggregateViewSource
{
    /// <summary>The view holds nothing for the label.</summary>
    None,

    /// <summary>An aggregate as published: exact, the same prototype a device merging every entry holds.</summary>
    Aggregate,

    /// <summary>An aggregate plus this device's newer change that it does not include yet (its included entry taken out,
    /// the newer one added, in double): exact up to float rounding until an aggregate with the change arrives.</summary>
    AggregateWithOwnChange,

    /// <summary>Only this device's own entry: no aggregate of the class has arrived yet.</summary>
    OwnOnly,

    /// <summary>An aggregate and an own entry whose inclusion no receipt confirms yet: the own entry is added as if it
    /// were not included. Lasts until the aggregator's receipt arrives.</summary>
    Unconfirmed,
}
