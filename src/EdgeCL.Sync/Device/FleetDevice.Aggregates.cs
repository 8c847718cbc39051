using EdgeCL.Sync.Client;

namespace EdgeCL.Sync.Device;

// Aggregate mode (docs/fleet-aggregation.md): the fleet view comes from aggregators' aggregates and receipts, kept in
// AggregateFile beside the state database.
public sealed partial class FleetDevice
{
    /// <summary>The file beside <paramref name="statePath"/> that keeps the aggregates and receipts (aggregate mode only).</summary>
    public static string AggregatesPath(string statePath) => statePath + ".aggregates";

    private void OnAggregateChanged(object? sender, FleetAggregateChangedEventArgs e)
    {
        _viewDirty = true;
        _aggregateFile?.Record(e);
        _work.Writer.TryWrite(new Work(null, null, SaveAggregates: true));
    }

    /// <summary>Writes the aggregates file; a failure (a full disk) is logged, counted and retried at the next change.</summary>
    private void SaveAggregates()
    {
        try
        {
            _aggregateFile?.Save();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Interlocked.Increment(ref _saveFailures);
            Log.SaveFailed(_logger, ex, DeviceId, _aggregateFile?.Count ?? 0);
        }
    }
}
