using EdgeCL.Sync.Payloads;

namespace EdgeCL.Sync.Client;

/// <summary>Raised for every received message that was dropped (counted in <see cref="SyncStatistics.Drops"/>).</summary>
/// <param name="sender">The device the topic names, or "unknown".</param>
/// <param name="topic">The topic it arrived on.</param>
/// <param name="reason">Why it was dropped.</param>
public sealed class MessageDroppedEventArgs(string sender, string topic, SyncDropReason reason) : EventArgs
{
    /// <summary>The device the topic names, or "unknown".</summary>
    public string Sender { get; } = sender;

    /// <summary>The topic it arrived on.</summary>
    public string Topic { get; } = topic;

    /// <summary>Why it was dropped.</summary>
    public SyncDropReason Reason { get; } = reason;
}
