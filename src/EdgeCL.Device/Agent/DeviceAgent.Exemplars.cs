using EdgeCL.Core.Errors;
using EdgeCL.Core.Rollout;
using EdgeCL.Core.Vectors;
using EdgeCL.Device.Config;
using EdgeCL.Device.Rollout;
using EdgeCL.Device.Sources;
using EdgeCL.Storage.Errors;
using EdgeCL.Storage.State;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;
using EdgeCL.Sync.Payloads;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Agent;

/// <summary>
/// The exemplar store (issue 14, docs/rollout.md): with <c>learner.exemplar_budget_mb</c> &gt; 0, every learned example's raw
/// input may be kept, class-balanced within the budget, in the state database, so that a new backbone can re-embed it.
/// </summary>
/// <remarks>An exemplar is written after its example was committed, on a second connection to <c>state.db</c> (the fleet device
/// owns the first): a crash in between loses that exemplar, never the example. Keeping exemplars is best effort: a failure
/// is one line and learning goes on.</remarks>
public sealed partial class DeviceAgent
{
    private ExemplarStore? _exemplars;
    private StateStore? _exemplarState;

    /// <summary>Exemplars kept for the next backbone (0 when the store is off).</summary>
    public int ExemplarCount => _exemplars?.Count ?? 0;

    /// <summary>Opens the exemplar store of <paramref name="statePath"/> when the config asks for one; on any failure says why in one line and runs without.</summary>
    private static (ExemplarStore?, StateStore?) OpenExemplars(DeviceConfig config, string statePath, EmbeddingSpace space, string deviceId, ILogger logger)
    {
        if (config.Learner.ExemplarBudgetMb <= 0)
            return (null, null);
        var options = new ExemplarStoreOptions { BudgetBytes = (long)(config.Learner.ExemplarBudgetMb * 1024 * 1024) };
        StateStore? state = null;
        try
        {
            state = StateStore.Open(statePath, space, deviceId);
            ExemplarStore store = state.LoadExemplars(options);
            AgentLog.ExemplarsLoaded(logger, store.Count, store.ClassCount, store.TotalBytes / (1024.0 * 1024.0), options.BudgetBytes / (1024.0 * 1024.0));
            return (store, state);
        }
        catch (Exception ex) when (ex is StateStoreException or RolloutException or EmbeddingException)
        {
            state?.Dispose();
            AgentLog.ExemplarsDisabled(logger, ErrorText.OneLine(ex));
            return (null, null);
        }
    }

    private void AttachExemplars((ExemplarStore? Store, StateStore? State) exemplars) => (_exemplars, _exemplarState) = exemplars;

    /// <summary>After a committed learn: keeps the sample's raw input as an exemplar of <paramref name="label"/> if the store is on.</summary>
    private void KeepExemplar(InputSample sample, string label, float[] embedding)
    {
        if (_exemplars is null || _exemplarState is null)
            return;
        if (ExemplarInput.Encode(sample) is not { } input)
            return;
        try
        {
            _exemplarState.CommitExemplars(_exemplars.Add(label, input, embedding));
        }
        catch (Exception ex) when (ex is StateStoreException or RolloutException or ArgumentException)
        {
            // The store in memory may now hold an exemplar the database lacks: reload it so both agree again.
            AgentLog.ExemplarNotKept(_logger, label, ErrorText.OneLine(ex));
            ReloadExemplars();
        }
    }

    /// <summary>Drops a forgotten class's exemplars.</summary>
    private void ForgetExemplars(string label)
    {
        if (_exemplars is null || _exemplarState is null)
            return;
        try
        {
            _exemplarState.CommitExemplars(new ExemplarChange(null, _exemplars.Forget(label)));
        }
        catch (StateStoreException ex)
        {
            AgentLog.ExemplarNotKept(_logger, label, ErrorText.OneLine(ex));
            ReloadExemplars();
        }
    }

    private void ReloadExemplars()
    {
        try
        {
            _exemplars = _exemplarState!.LoadExemplars(_exemplars!.Options);
        }
        catch (Exception ex) when (ex is StateStoreException or RolloutException)
        {
            AgentLog.ExemplarsDisabled(_logger, ErrorText.OneLine(ex));
            DisposeExemplars();
        }
    }

    private void DisposeExemplars()
    {
        _exemplarState?.Dispose();
        _exemplarState = null;
        _exemplars = null;
    }

    /// <summary>On start: a state of another space than the backbone's is migrated (docs/rollout.md) instead of refused; a state that
    /// cannot be is refused with one line and left as it was.</summary>
    private static void MigrateState(string statePath, IEmbeddingBackbone backbone, string? backboneDirectory, string deviceId, SignedEntryCodec codec, ILogger logger)
    {
        try
        {
            if (StateMigration.MigrateIfNeeded(statePath, backbone, deviceId, codec.Encode, backboneDirectory) is { } moved)
                AgentLog.StateMigrated(logger, moved.From.ToString(), backbone.Space.ToString(), moved.Describe(), moved.Archive);
        }
        catch (Exception ex) when (ex is RolloutException or StateStoreException or InputFormatException or EmbeddingException or IOException or UnauthorizedAccessException)
        {
            throw new AgentStartException(
                $"state '{statePath}' is of another embedding space and cannot be moved to backbone '{backbone.Name}' ({backbone.Space}): {ErrorText.OneLine(ex)}; " +
                "start with the backbone it was made with, or move it aside to start fresh.");
        }
    }
}
