using EdgeCL.Sync.Commands;

namespace EdgeCL.Sync.Client;

/// <summary>Raised when a valid command for this device arrives.</summary>
/// <param name="command">The parsed command.</param>
public sealed class FleetCommandEventArgs(FleetCommand command) : EventArgs
{
    /// <summary>The parsed command.</summary>
    public FleetCommand Command { get; } = command;
}
