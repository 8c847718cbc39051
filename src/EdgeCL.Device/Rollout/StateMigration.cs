using EdgeCL.Core.Errors;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Rollout;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;
using EdgeCL.Storage.Errors;
using EdgeCL.Storage.Files;
using EdgeCL.Storage.State;

namespace EdgeCL.Device.Rollout;

/// <summary>
/// Moves a device's state database to the space its (new) backbone produces: the exemplars are re-embedded by the new
/// backbone, a map is fitted on them and on the operator's calibration pairs installed beside the backbone
/// (<see cref="CalibrationFile"/>), and every class is re-computed, blended or mapped (<see cref="PrototypeMigration"/>).
/// </summary>
/// <remarks>
/// <para><b>Crash safety.</b> The new state is written whole to <c>state.db.migrating</c> and closed; then the old file is
/// renamed to <c>state.&lt;old space&gt;.db</c> (kept, so the old space can still be served or the rollout undone) and the new one
/// to <c>state.db</c>, with the folder synced. A crash before the first rename redoes the migration; one between the renames is
/// finished on the next start (<c>state.db</c> missing, <c>state.db.migrating</c> present).</para>
/// <para><b>Fleet.</b> The new state's outbox announces every migrated class in the new space, so the fleet of the new space
/// hears of them on the next connection; the old space's entries stay where they are until that space is retired.</para>
/// </remarks>
public static class StateMigration
{
    /// <summary>Suffix of the new state while it is being written.</summary>
    public const string PendingSuffix = ".migrating";

    /// <summary>What a migration did, for the log.</summary>
    /// <param name="From">The old space.</param>
    /// <param name="Archive">Where the old state now is.</param>
    /// <param name="Result">The migration.</param>
    /// <param name="CalibrationPairs">Operator calibration pairs the map was fitted with besides the exemplars (0: none installed).</param>
    public sealed record Outcome(Core.Vectors.EmbeddingSpace From, string Archive, MigrationResult Result, int CalibrationPairs)
    {
        /// <summary>One line for the log.</summary>
        public string Describe() => CalibrationPairs > 0 ? $"{Result.Describe()}; map fitted with {CalibrationPairs} calibration pairs" : Result.Describe();
    }

    /// <summary>Migrates <paramref name="statePath"/> to <paramref name="backbone"/>'s space when it holds another one.</summary>
    /// <param name="statePath">The state database.</param>
    /// <param name="backbone">The backbone the device now runs.</param>
    /// <param name="deviceId">The device.</param>
    /// <param name="announce">Turns a migrated class into its signed announcement for the outbox, or null for none.</param>
    /// <param name="backboneDirectory">The new backbone's folder, where calibration pairs may be installed, or null.</param>
    /// <returns>What was done, or null when the state is already in that space (or there is none).</returns>
    /// <exception cref="RolloutException">The state cannot be migrated (classes with no exemplars and too few exemplars for a map, …); nothing was changed.</exception>
    /// <exception cref="StateStoreException">A state file cannot be read or written; nothing was changed, or the pending file is left to be redone.</exception>
    /// <exception cref="InputFormatException">A kept input cannot be read by the new backbone.</exception>
    public static Outcome? MigrateIfNeeded(string statePath, IEmbeddingBackbone backbone, string deviceId, Func<FleetEntry, byte[]>? announce,
        string? backboneDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        string pending = statePath + PendingSuffix;
        string folder = Path.GetDirectoryName(Path.GetFullPath(statePath))!;
        if (!File.Exists(statePath) && File.Exists(pending))
        {
            // Interrupted between the two renames: the old state is archived and the new one complete.
            File.Move(pending, statePath);
            AtomicFile.SyncDirectory(folder);
        }
        Core.Vectors.EmbeddingSpace? stored;
        try
        {
            stored = StateStore.ReadSpace(statePath);
        }
        catch (StateStoreException)
        {
            // Cannot tell (a full disk has no room for the WAL index a reader needs; a damaged file): the normal open says what is wrong.
            return null;
        }
        if (stored is null || stored == backbone.Space)
            return null;

        CalibrationPairs? calibration = CalibrationFile.Load(backboneDirectory, stored, backbone.Space);
        (PrototypeMemory memory, ExemplarStore exemplars) = Load(statePath, stored, deviceId);
        float[] rows = PrototypeMigration.Reembed(exemplars, backbone.Space, (exemplar, embedding) => ExemplarInput.Embed(backbone, exemplar.Input, embedding, folder));
        var mapOptions = SpaceMapOptions.Default;
        int pairs = exemplars.Count + (calibration?.Count ?? 0);
        SpaceMap? map = pairs >= mapOptions.MinimumPairs
            ? PrototypeMigration.FitMap(exemplars, rows, backbone.Space, calibration is null ? [] : calibration.SourceRows, calibration is null ? [] : calibration.TargetRows, mapOptions)
            : null;
        MigrationResult result;
        try
        {
            result = PrototypeMigration.Migrate(memory, exemplars, rows, backbone.Space, map, MigrationMode.Blend);
        }
        catch (RolloutException ex) when (map is null)
        {
            throw new RolloutException(
                $"{ErrorText.OneLine(ex)} (only {exemplars.Count} exemplars kept and no calibration pairs installed at " +
                $"'{(backboneDirectory is null ? "(the backbone has no folder)" : CalibrationFile.PathFor(backboneDirectory, stored))}'; a map needs {mapOptions.MinimumPairs})");
        }

        DeleteDatabase(pending);
        try
        {
            using StateStore fresh = StateStore.Open(pending, backbone.Space, deviceId);
            IEnumerable<byte[]>? payloads = announce is null ? null : FleetEntryFactory.All(deviceId, result.Memory).Select(announce).ToArray();
            fresh.Commit(result.Memory, changedLabels: null, payloads);
            fresh.ReplaceExemplars(result.Exemplars);
        }
        catch
        {
            DeleteDatabase(pending); // e.g. a full disk: give the space back; the old state is untouched
            throw;
        }
        string archive = Path.Combine(folder, $"{Path.GetFileNameWithoutExtension(statePath)}.{stored.Id[..Math.Min(12, stored.Id.Length)]}.db");
        DeleteDatabase(archive);
        File.Move(statePath, archive);
        if (File.Exists(statePath + "-wal"))
            File.Move(statePath + "-wal", archive + "-wal"); // never left after a clean close; moved with its file if it is
        File.Move(pending, statePath);
        AtomicFile.SyncDirectory(folder);
        return new Outcome(stored, archive, result, calibration?.Count ?? 0);
    }

    /// <summary>Why the state in <paramref name="statePath"/> (of <paramref name="space"/>) could not be moved to another space by
    /// <see cref="MigrateIfNeeded"/>, or null when it can: what a running device checks before it accepts a new backbone, so
    /// that the restart into it cannot fail on the state. Reads only; no re-embedding.</summary>
    /// <param name="statePath">The state database.</param>
    /// <param name="space">Its space.</param>
    /// <param name="deviceId">The device.</param>
    /// <param name="target">The new backbone's space.</param>
    /// <param name="backboneDirectory">The new backbone's folder, where calibration pairs may be installed, or null.</param>
    /// <exception cref="StateStoreException">The state cannot be read.</exception>
    /// <exception cref="RolloutException">The exemplars cannot be loaded.</exception>
    public static string? WhyNotMovable(string statePath, Core.Vectors.EmbeddingSpace space, string deviceId, Core.Vectors.EmbeddingSpace target,
        string? backboneDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!File.Exists(statePath))
            return null;
        int calibrationPairs;
        try
        {
            calibrationPairs = CalibrationFile.Load(backboneDirectory, space, target)?.Count ?? 0;
        }
        catch (RolloutException ex)
        {
            return ErrorText.OneLine(ex); // installed but unusable: the operator meant it to be used
        }
        (PrototypeMemory memory, ExemplarStore exemplars) = Load(statePath, space, deviceId);
        var options = SpaceMapOptions.Default;
        int largest = Math.Max(space.Dimension, target.Dimension);
        if (memory.ClassCount == 0 || exemplars.Count + calibrationPairs >= options.MinimumPairs && largest <= SpaceMapOptions.MaxDimension)
            return null; // a map is fitted, and every class moves
        string noMap = largest > SpaceMapOptions.MaxDimension
            ? $"no map is fitted on the device above {SpaceMapOptions.MaxDimension}-d (this move is {space.Dimension}-d → {target.Dimension}-d)"
            : $"{exemplars.Count} exemplars + {calibrationPairs} calibration pairs are too few for a map ({options.MinimumPairs} needed); " +
              "add calibration pairs ('edgecl rollout calibrate'), keep exemplars (learner.exemplar_budget_mb) or teach more";
        if (memory.Options.Centring == CentringMode.Supplied)
            return $"the prototypes use a supplied centre, which only a map can carry, and {noMap}";
        for (int c = 0; c < memory.ClassCount; c++)
        {
            string label = memory.SummaryAt(c).Label;
            if (exemplars.ExemplarsOf(label).Count == 0)
                return $"class '{label}' has no exemplars and {noMap}";
        }
        return null;
    }

    // Everything kept is used, also if the budget was lowered since: a rollout is the moment exemplars exist for.
    private static (PrototypeMemory Memory, ExemplarStore Exemplars) Load(string statePath, Core.Vectors.EmbeddingSpace space, string deviceId)
    {
        using StateStore old = StateStore.Open(statePath, space, deviceId);
        return (old.LoadMemory(), old.LoadExemplars(new ExemplarStoreOptions { BudgetBytes = ExemplarStoreOptions.MaxBudgetBytes }));
    }

    private static void DeleteDatabase(string path)
    {
        foreach (string suffix in new[] { "", "-wal", "-shm", "-journal" })
            File.Delete(path + suffix);
    }
}
