using System.Numerics.Tensors;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Rollout;

/// <summary>
/// An affine map from one embedding space to another, y = W·x + b, fitted on the same exemplars embedded by both
/// backbones: how a rollout carries prototypes of classes it has no raw examples of into the new space.
/// </summary>
/// <remarks>
/// <para>A linear map commutes with means: the mapped mean of a class is the mean of its mapped examples, so a mapped
/// prototype is exactly what the map would make of the examples the device no longer has.</para>
/// <para>Fitted with <see cref="Fit"/> (<see cref="SpaceMapKind"/> says how). Immutable and thread-safe; <see cref="Apply"/>
/// allocates nothing.</para>
/// </remarks>
public sealed partial class SpaceMap
{
    private readonly float[] _matrix; // target × source, row-major
    private readonly float[] _offset; // target

    private SpaceMap(EmbeddingSpace source, EmbeddingSpace target, SpaceMapKind kind, int pairCount, float[] matrix, float[] offset, double explained)
    {
        Source = source;
        Target = target;
        Kind = kind;
        PairCount = pairCount;
        _matrix = matrix;
        _offset = offset;
        Explained = explained;
    }

    /// <summary>The space the map reads.</summary>
    public EmbeddingSpace Source { get; }

    /// <summary>The space the map writes.</summary>
    public EmbeddingSpace Target { get; }

    /// <summary>How the map was fitted.</summary>
    public SpaceMapKind Kind { get; }

    /// <summary>How many paired embeddings it was fitted on.</summary>
    public int PairCount { get; }

    /// <summary>
    /// The fraction of the target embeddings' variance that the map reproduces on its own pairs (R², 1 = exact). An
    /// in-sample figure: it says how well the map can fit, not how well it generalises.
    /// </summary>
    public double Explained { get; }

    /// <summary>W, target × source, row-major.</summary>
    public ReadOnlySpan<float> Matrix => _matrix;

    /// <summary>b, one value per target dimension.</summary>
    public ReadOnlySpan<float> Offset => _offset;

    /// <summary>Maps one source-space vector into the target space.</summary>
    /// <exception cref="Errors.EmbeddingException">Wrong length or a NaN/Inf value.</exception>
    /// <exception cref="ArgumentException"><paramref name="target"/> is not the target dimension long.</exception>
    public void Apply(ReadOnlySpan<float> source, Span<float> target)
    {
        VectorKernels.EnsureValidEmbedding(source, Source.Dimension, "The vector to map");
        if (target.Length != Target.Dimension)
            throw new ArgumentException($"The mapped vector needs {Target.Dimension} slots, got {target.Length}.", nameof(target));
        VectorKernels.DotRows(_matrix, Source.Dimension, source, target);
        TensorPrimitives.Add(target, _offset, target);
    }

    /// <summary>Rebuilds a map from its parts (a map received from an operator or read from a file).</summary>
    /// <exception cref="RolloutException">The parts do not fit the spaces, or hold NaN/Inf.</exception>
    public static SpaceMap FromParts(EmbeddingSpace source, EmbeddingSpace target, SpaceMapKind kind, int pairCount, double explained,
        ReadOnlySpan<float> matrix, ReadOnlySpan<float> offset)
    {
        ValidateSpaces(source, target);
        if (!Enum.IsDefined(kind))
            throw new RolloutException($"Space map kind {(int)kind} is unknown; expected procrustes or ridge.");
        if (pairCount < 2)
            throw new RolloutException($"A space map fitted on {pairCount} pairs cannot be used; fit it on at least 2.");
        if (matrix.Length != target.Dimension * source.Dimension || offset.Length != target.Dimension)
            throw new RolloutException(
                $"Space map parts have {matrix.Length} + {offset.Length} values; a {source.Dimension}-d → {target.Dimension}-d map needs " +
                $"{target.Dimension * source.Dimension} + {target.Dimension}.");
        if (!VectorKernels.AllFinite(matrix) || !VectorKernels.AllFinite(offset) || !double.IsFinite(explained))
            throw new RolloutException("Space map parts hold NaN or infinity; refit the map.");
        return new SpaceMap(source, target, kind, pairCount, matrix.ToArray(), offset.ToArray(), explained);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Kind} map {Source} → {Target}, {PairCount} pairs, R² {Explained:F3}";

    private static void ValidateSpaces(EmbeddingSpace source, EmbeddingSpace target)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        source.Validate();
        target.Validate();
        if (source.Dimension > SpaceMapOptions.MaxDimension || target.Dimension > SpaceMapOptions.MaxDimension)
            throw new RolloutException(
                $"A {source.Dimension}-d → {target.Dimension}-d map is larger than this runtime fits ({SpaceMapOptions.MaxDimension}-d at most); fit it off the device.");
    }
}
