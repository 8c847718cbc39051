using EdgeCL.Core.Errors;
using EdgeCL.Core.Learning;
using EdgeCL.Core.Learning.Adaptation;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;
using EdgeCL.Storage.Files;

namespace EdgeCL.Device.Agent;

/// <summary>
/// The classifier the agent recognises with: a registry learner whose labelled knowledge is the fleet's prototypes and
/// whose adaptation state survives restarts (checkpoint file) and changes of the labelled classes (carried over on rebuild).
/// </summary>
/// <remarks>
/// The fleet prototype of a class is already the exact count-weighted mean over every device's examples, so the learner
/// is fed one vector per class, the prototype itself. Not thread-safe: the agent loop is its only caller.
/// </remarks>
internal sealed class AdaptiveHead
{
    private readonly LearnerRegistry _registry;
    private readonly string _method;
    private readonly LearnerOptions _options;
    private readonly EmbeddingSpace _space;
    private readonly string _checkpointPath;
    private IStreamLearner _learner;

    public AdaptiveHead(LearnerRegistry registry, string method, LearnerOptions options, EmbeddingSpace space, string checkpointPath)
    {
        _registry = registry;
        _method = method;
        _options = options;
        _space = space;
        _checkpointPath = checkpointPath;
        _learner = registry.Create(method, space, options);
    }

    public IStreamLearner Learner => _learner;

    public int ClassCount => _learner.ClassCount;

    public long Resets { get; private set; }

    /// <summary>Whether the learner can checkpoint its adaptation state.</summary>
    public bool Checkpointable => _learner is IAdaptationCheckpoint;

    /// <summary>A word for the status: adapting, warming-up, fallback or off.</summary>
    public string AdaptationState(bool adapt) => !adapt ? "off" : _learner switch
    {
        FeatureAdaptationLearner { InFallback: true } => "fallback",
        TestCentredNcmLearner { Centre.IsWarm: false } => "warming-up",
        _ => "adapting",
    };

    /// <summary>Rebuilds the learner from the fleet prototypes, carrying the adaptation state over.</summary>
    /// <returns>Whether adaptation state was carried over.</returns>
    public bool Rebuild(PrototypeMemory prototypes)
    {
        IStreamLearner fresh = _registry.Create(_method, _space, _options);
        for (int c = 0; c < prototypes.ClassCount; c++)
            fresh.Learn(prototypes.LabelAt(c), prototypes.MeanAt(c));
        bool kept = false;
        if (_learner is IAdaptationCheckpoint old && fresh is IAdaptationCheckpoint target && _learner.ClassCount > 0)
        {
            try
            {
                target.RestoreAdaptation(old.SaveAdaptation());
                kept = true;
            }
            catch (StateFormatException)
            {
                // A checkpoint from the same process cannot be malformed; if the learner refuses it, start adapting afresh.
            }
        }
        _learner = fresh;
        return kept;
    }

    /// <summary>Drops the adaptation state (command or operator) and the checkpoint file.</summary>
    public void Reset()
    {
        _learner.Reset();
        Resets++;
        try
        {
            File.Delete(_checkpointPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The next checkpoint overwrites it.
        }
    }

    /// <summary>Writes the adaptation state atomically; null on success, else the one-line reason.</summary>
    public string? SaveCheckpoint()
    {
        if (_learner is not IAdaptationCheckpoint checkpoint || _learner.ClassCount == 0)
            return null;
        try
        {
            AtomicFile.WriteAllBytes(_checkpointPath, checkpoint.SaveAdaptation());
            return null;
        }
        catch (IOException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>Restores the checkpoint file if there is one; returns (restored bytes, null) or (0, reason) when it was refused (then moved aside).</summary>
    public (int Bytes, string? Refused) RestoreCheckpoint()
    {
        if (_learner is not IAdaptationCheckpoint checkpoint || !File.Exists(_checkpointPath))
            return (0, null);
        try
        {
            byte[] bytes = File.ReadAllBytes(_checkpointPath);
            checkpoint.RestoreAdaptation(bytes);
            return (bytes.Length, null);
        }
        catch (Exception ex) when (ex is StateFormatException or IOException or UnauthorizedAccessException or EmbeddingException)
        {
            try
            {
                File.Move(_checkpointPath, _checkpointPath + ".bad", overwrite: true);
            }
            catch (Exception move) when (move is IOException or UnauthorizedAccessException)
            {
                // Left in place; it is refused again next start and overwritten by the next checkpoint.
            }
            return (0, ex.Message.Split('\n')[0]);
        }
    }
}
