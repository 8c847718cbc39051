using EdgeCL.Core.Errors;
using EdgeCL.Core.Learning;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Fuzz.Targets;

/// <summary>The adaptation checkpoint codec (<see cref="IAdaptationCheckpoint.RestoreAdaptation"/>), restored into every adaptive learner.</summary>
/// <remarks>
/// Clear errors: <see cref="StateFormatException"/> (AdaptiveHead also catches <see cref="EmbeddingException"/>). A refused
/// checkpoint must leave the learner byte-identical (its own checkpoint before and after); an accepted one must leave a
/// learner that still predicts and observes. Inputs are tried as read, then with their CRC fixed.
/// </remarks>
internal sealed class CheckpointTarget : IFuzzTarget
{
    private readonly EmbeddingSpace _space = new(FuzzKeys.SpaceId, FuzzKeys.Dimension);
    private readonly List<(string Name, IStreamLearner Learner)> _learners = [];
    private readonly float[] _probe = new float[FuzzKeys.Dimension];

    public CheckpointTarget()
    {
        foreach (string name in LearnerRegistry.CreateDefault().Names())
            if (Adapted(name, _space) is { } learner)
                _learners.Add((name, learner));
        _probe[0] = 1f;
    }

    public string Name => "checkpoint";

    /// <summary>The names of the learners a checkpoint is restored into.</summary>
    public IEnumerable<string> LearnerNames => _learners.Select(l => l.Name);

    /// <summary>A checkpointable learner of <paramref name="name"/> taught three classes and adapted to a short stream, or null.</summary>
    public static IStreamLearner? Adapted(string name, EmbeddingSpace space)
    {
        IStreamLearner learner = LearnerRegistry.CreateDefault().Create(name, space);
        if (learner is not IAdaptationCheckpoint)
            return null;
        var rng = new Random(7);
        for (int c = 0; c < 3; c++)
            for (int s = 0; s < 4; s++)
                learner.Learn("c" + c, Sample(rng, c, space.Dimension, 0f));
        for (int i = 0; i < 40; i++)
            learner.Observe(Sample(rng, i % 3, space.Dimension, 0.4f));
        return learner;
    }

    private static float[] Sample(Random rng, int c, int dimension, float shift)
    {
        var v = new float[dimension];
        for (int j = 0; j < dimension; j++)
            v[j] = (j == c ? 2f : 0f) + shift + (0.3f * (float)(rng.NextDouble() - 0.5));
        return v;
    }

    public void Run(byte[] input)
    {
        for (int i = 0; i < _learners.Count; i++)
        {
            Restore(i, input);
            if (Crc.Fixed(input) is { } fixedCrc)
                Restore(i, fixedCrc);
        }
    }

    private void Restore(int index, byte[] bytes)
    {
        (string name, IStreamLearner learner) = _learners[index];
        var checkpoint = (IAdaptationCheckpoint)learner;
        byte[] before = checkpoint.SaveAdaptation();
        try
        {
            checkpoint.RestoreAdaptation(bytes);
        }
        catch (Exception ex) when (ex is StateFormatException or EmbeddingException)
        {
            if (!checkpoint.SaveAdaptation().AsSpan().SequenceEqual(before))
                throw new StateChangedException($"A refused checkpoint changed learner '{name}' ({ex.Message}).");
            return;
        }
        learner.Predict(_probe);
        learner.Observe(_probe);
        // Accepted: start the next input from the known adapted learner again.
        _learners[index] = (name, Adapted(name, _space)!);
    }
}
