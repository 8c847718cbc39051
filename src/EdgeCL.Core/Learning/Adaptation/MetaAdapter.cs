using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Text;
using EdgeCL.Core.Errors;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Learning.Adaptation;

/// <summary>
/// The residual embedding adapter z' = z + g(z), g = LayerNorm → Linear(d, h) → ReLU → Linear(h, d), with the last
/// layer zero-initialised so that it starts as the identity; forward and backward written by hand (algorithms.md §2.6).
/// </summary>
/// <remarks>
/// <para>The LayerNorm has no affine parameters, so the trainable parameters are W1 (h×d), b1, W2 (d×h) and b2,
/// stored flat in that order. The loss of one sample is w·H(softmax(s·û·μ̂)) + λ·mean|g(z)|, with
/// û = normalize(z' − c), μ̂ the centred normalised prototypes, s = 1/τ and w the detached EATA weight; its gradient
/// is ∂H/∂ℓ_c = −p_c(ln p_c + H), ∂H/∂z' = (s/n)(I − ûûᵀ)Σ_c ∂H/∂ℓ_c μ̂_c, then back through the two layers.
/// Updates are SGD with momentum. Every buffer is allocated once; a step allocates nothing. Not thread-safe.</para>
/// </remarks>
public sealed class MetaAdapter
{
    private const uint Magic = 0x4D434345; // "ECCM" little-endian
    private const ushort FormatVersion = 1;
    private const float LayerNormEpsilon = 1e-5f;

    private readonly int _d;
    private readonly int _h;
    private readonly int _seed;
    private readonly float[] _theta;
    private readonly float[] _grad;
    private readonly float[] _momentum;
    private readonly float[] _backup;
    private readonly float[] _normed;
    private readonly float[] _pre;
    private readonly float[] _hidden;
    private readonly float[] _g;
    private readonly float[] _u;
    private readonly float[] _uHat;
    private readonly float[] _dU;
    private readonly float[] _dHidden;
    private float[] _logits = new float[16];
    private float[] _p = new float[16];

    /// <summary>Creates the adapter as the identity (W2 = 0, b2 = 0; W1 uniform ±1/√d from <paramref name="seed"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Dimension or hidden width out of range.</exception>
    public MetaAdapter(EmbeddingSpace space, int hidden, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(space);
        space.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hidden, 4096);
        Space = space;
        _d = space.Dimension;
        _h = hidden;
        _seed = seed;
        ParameterCount = 2 * _d * _h + _h + _d;
        _theta = new float[ParameterCount];
        _grad = new float[ParameterCount];
        _momentum = new float[ParameterCount];
        _backup = new float[ParameterCount];
        _normed = new float[_d];
        _pre = new float[_h];
        _hidden = new float[_h];
        _g = new float[_d];
        _u = new float[_d];
        _uHat = new float[_d];
        _dU = new float[_d];
        _dHidden = new float[_h];
        Reset();
    }

    /// <summary>The space the adapter maps.</summary>
    public EmbeddingSpace Space { get; }

    /// <summary>Hidden width h.</summary>
    public int Hidden => _h;

    /// <summary>Trainable parameters: 2·d·h + h + d.</summary>
    public int ParameterCount { get; }

    /// <summary>Bytes of parameters (fp32).</summary>
    public long ParameterBytes => 4L * ParameterCount;

    /// <summary>Bytes of optimiser state: the momentum buffer, the gradient and the roll-back copy.</summary>
    public long OptimizerBytes => 12L * ParameterCount;

    /// <summary>Updates taken since the last reset.</summary>
    public long Steps { get; private set; }

    /// <summary>The flat parameters W1, b1, W2, b2 (for tests and inspection).</summary>
    internal Span<float> Parameters => _theta;

    /// <summary>The gradient of the last <see cref="LossAndGradient"/> call.</summary>
    internal ReadOnlySpan<float> Gradient => _grad;

    /// <summary>Back to the identity: W1 re-drawn from the seed, W2 = b1 = b2 = 0, momentum cleared.</summary>
    public void Reset()
    {
        Array.Clear(_theta);
        Array.Clear(_momentum);
        var random = new Random(_seed);
        float bound = 1f / MathF.Sqrt(_d);
        for (int i = 0; i < _d * _h; i++)
            _theta[i] = (float)(random.NextDouble() * 2 - 1) * bound;
        Steps = 0;
    }

    /// <summary>Writes z' = z + g(z) into <paramref name="destination"/> (keeps the activations for a following backward).</summary>
    public void Forward(ReadOnlySpan<float> z, Span<float> destination)
    {
        // LayerNorm without affine parameters.
        float mean = TensorPrimitives.Sum(z) / _d;
        TensorPrimitives.Subtract(z, mean, _normed);
        float variance = TensorPrimitives.SumOfSquares(_normed) / _d;
        TensorPrimitives.Multiply(_normed, 1f / MathF.Sqrt(variance + LayerNormEpsilon), _normed);
        ReadOnlySpan<float> w1 = _theta.AsSpan(0, _h * _d);
        ReadOnlySpan<float> b1 = _theta.AsSpan(_h * _d, _h);
        ReadOnlySpan<float> w2 = _theta.AsSpan(_h * _d + _h, _d * _h);
        ReadOnlySpan<float> b2 = _theta.AsSpan(2 * _h * _d + _h, _d);
        for (int k = 0; k < _h; k++)
        {
            float a = TensorPrimitives.Dot(w1.Slice(k * _d, _d), _normed) + b1[k];
            _pre[k] = a;
            _hidden[k] = a > 0f ? a : 0f;
        }
        for (int j = 0; j < _d; j++)
            _g[j] = TensorPrimitives.Dot(w2.Slice(j * _h, _h), _hidden) + b2[j];
        TensorPrimitives.Add(z, _g, destination);
    }

    /// <summary>
    /// Loss of one sample and its gradient (into <see cref="Gradient"/>): w·H + λ·mean|g|, with the prototype
    /// softmax of normalize(z' − centre) against <paramref name="prototypes"/> (C rows, centred and normalised).
    /// </summary>
    /// <param name="z">The frozen embedding.</param>
    /// <param name="centre">The query centre.</param>
    /// <param name="prototypes">Centred, normalised prototypes, row-major.</param>
    /// <param name="classes">C.</param>
    /// <param name="scale">s = 1/τ.</param>
    /// <param name="weight">The detached sample weight w (EATA's exp(E0 − H)).</param>
    /// <param name="lambda">λ of the L1 pull towards the frozen embedding.</param>
    /// <returns>The loss.</returns>
    internal float LossAndGradient(ReadOnlySpan<float> z, ReadOnlySpan<float> centre, ReadOnlySpan<float> prototypes, int classes,
        float scale, float weight, float lambda)
    {
        Forward(z, _u);
        float entropy = EntropyGradient(centre, prototypes, classes, scale, weight);
        float l1 = TensorPrimitives.SumOfMagnitudes(_g) / _d;
        // dL/dg = dL/dz' + (λ/d)·sign(g), sign(0) = 0. Not MathF.Sign: it throws on NaN, and a diverged forward (huge
        // parameters, e.g. from a crafted checkpoint; found by fuzzing) must reach Step, which refuses non-finite steps.
        for (int j = 0; j < _d; j++)
            _dU[j] += lambda / _d * (_g[j] > 0f ? 1f : _g[j] < 0f ? -1f : 0f);
        Backward();
        return weight * entropy + lambda * l1;
    }

    /// <summary>The entropy of the last forward's prediction (in nats), computed by <see cref="EntropyGradient"/>.</summary>
    private float EntropyGradient(ReadOnlySpan<float> centre, ReadOnlySpan<float> prototypes, int classes, float scale, float weight)
    {
        if (_logits.Length < classes)
        {
            _logits = new float[classes * 2];
            _p = new float[classes * 2];
        }
        TensorPrimitives.Subtract(_u, centre, _uHat);
        float n = Math.Max(TensorPrimitives.Norm(_uHat), 1e-12f);
        TensorPrimitives.Divide(_uHat, n, _uHat);
        Span<float> logits = _logits.AsSpan(0, classes);
        Span<float> p = _p.AsSpan(0, classes);
        VectorKernels.DotRows(prototypes[..(classes * _d)], _d, _uHat, logits);
        VectorKernels.Softmax(logits, 1f / scale, p);
        float h = VectorKernels.Entropy(p);
        // v = Σ_c ∂H/∂ℓ_c μ̂_c with ∂H/∂ℓ_c = −p_c(ln p_c + H), scaled by the detached weight.
        Span<float> v = _dU;
        v.Clear();
        for (int c = 0; c < classes; c++)
        {
            float pc = p[c];
            float dl = pc > 0f ? -pc * (MathF.Log(pc) + h) * weight : 0f;
            TensorPrimitives.MultiplyAdd(prototypes.Slice(c * _d, _d), dl, v, v);
        }
        // dH/dz' = (s/n)(v − û(û·v)).
        float projection = TensorPrimitives.Dot(_uHat, v);
        TensorPrimitives.MultiplyAdd(_uHat, -projection, v, v);
        TensorPrimitives.Multiply(v, scale / n, v);
        return h;
    }

    private void Backward()
    {
        Span<float> dW1 = _grad.AsSpan(0, _h * _d);
        Span<float> db1 = _grad.AsSpan(_h * _d, _h);
        Span<float> dW2 = _grad.AsSpan(_h * _d + _h, _d * _h);
        Span<float> db2 = _grad.AsSpan(2 * _h * _d + _h, _d);
        ReadOnlySpan<float> w2 = _theta.AsSpan(_h * _d + _h, _d * _h);
        // g = W2·hidden + b2: dW2[j,k] = dg[j]·hidden[k], db2 = dg, dhidden = W2ᵀ·dg.
        _dU.AsSpan().CopyTo(db2);
        Span<float> dHidden = _dHidden;
        dHidden.Clear();
        for (int j = 0; j < _d; j++)
        {
            float dg = _dU[j];
            TensorPrimitives.Multiply(_hidden, dg, dW2.Slice(j * _h, _h));
            TensorPrimitives.MultiplyAdd(w2.Slice(j * _h, _h), dg, dHidden, dHidden);
        }
        // ReLU, then pre = W1·normed + b1 (the LayerNorm has no parameters, so the chain stops here).
        for (int k = 0; k < _h; k++)
        {
            float dp = _pre[k] > 0f ? dHidden[k] : 0f;
            db1[k] = dp;
            TensorPrimitives.Multiply(_normed, dp, dW1.Slice(k * _d, _d));
        }
    }

    /// <summary>One SGD-with-momentum step on the gradient of the last <see cref="LossAndGradient"/> call.</summary>
    /// <returns>False when the step would have produced a non-finite parameter; it is then undone and momentum cleared.</returns>
    internal bool Step(float learningRate, float momentum)
    {
        _theta.AsSpan().CopyTo(_backup);
        TensorPrimitives.MultiplyAdd(_momentum, momentum, _grad, _momentum);
        TensorPrimitives.MultiplyAdd(_momentum, -learningRate, _theta, _theta);
        if (!VectorKernels.AllFinite(_theta))
        {
            _backup.AsSpan().CopyTo(_theta);
            Array.Clear(_momentum);
            return false;
        }
        Steps++;
        return true;
    }

    /// <summary>Writes the hidden width, the step count, the parameters and the momentum (a learner checkpoint's payload).</summary>
    internal void WriteState(BinaryWriter writer)
    {
        writer.Write(_h);
        writer.Write(Steps);
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_theta.AsSpan()));
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_momentum.AsSpan()));
    }

    /// <summary>Replaces parameters, momentum and step count (already checked: lengths and finiteness).</summary>
    internal void ApplyState(ReadOnlySpan<float> theta, ReadOnlySpan<float> momentum, long steps)
    {
        theta.CopyTo(_theta);
        momentum.CopyTo(_momentum);
        Steps = steps;
    }

    /// <summary>Serialises the parameters with the space identity, dimension and hidden width.</summary>
    public byte[] Export()
    {
        byte[] id = Encoding.UTF8.GetBytes(Space.Id);
        byte[] blob = new byte[4 + 2 + 2 + id.Length + 8 + 4 * ParameterCount];
        BinaryPrimitives.WriteUInt32LittleEndian(blob, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(blob.AsSpan(4), FormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(blob.AsSpan(6), (ushort)id.Length);
        id.CopyTo(blob, 8);
        int o = 8 + id.Length;
        BinaryPrimitives.WriteInt32LittleEndian(blob.AsSpan(o), _d);
        BinaryPrimitives.WriteInt32LittleEndian(blob.AsSpan(o + 4), _h);
        for (int i = 0; i < ParameterCount; i++)
            BinaryPrimitives.WriteSingleLittleEndian(blob.AsSpan(o + 8 + 4 * i), _theta[i]);
        return blob;
    }

    /// <summary>Loads parameters written by <see cref="Export"/>; on any error nothing changes.</summary>
    /// <exception cref="StateFormatException">Malformed, from another embedding space or width, or non-finite.</exception>
    public void Import(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < 16 || BinaryPrimitives.ReadUInt32LittleEndian(blob) != Magic)
            throw new StateFormatException("Not an EdgeCL meta-adapter state (bad magic); export one with MetaAdapter.Export.");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(blob[4..]);
        if (version != FormatVersion)
            throw new StateFormatException($"Meta-adapter state version {version} is not supported (expected {FormatVersion}).");
        int idLength = BinaryPrimitives.ReadUInt16LittleEndian(blob[6..]);
        if (blob.Length < 8 + idLength + 8)
            throw new StateFormatException("Meta-adapter state is truncated.");
        string id = Encoding.UTF8.GetString(blob.Slice(8, idLength));
        int o = 8 + idLength;
        int d = BinaryPrimitives.ReadInt32LittleEndian(blob[o..]);
        int h = BinaryPrimitives.ReadInt32LittleEndian(blob[(o + 4)..]);
        if (id != Space.Id || d != _d)
            throw new StateFormatException($"Meta-adapter state is for embedding space '{id}' ({d}-d) but this adapter maps {Space}; adapt again on this backbone.");
        if (h != _h)
            throw new StateFormatException($"Meta-adapter state has hidden width {h}, this adapter {_h}; set the same width.");
        if (blob.Length != o + 8 + 4 * ParameterCount)
            throw new StateFormatException($"Meta-adapter state has {blob.Length} bytes, expected {o + 8 + 4 * ParameterCount}.");
        ReadOnlySpan<byte> body = blob[(o + 8)..];
        for (int i = 0; i < ParameterCount; i++)
            if (!float.IsFinite(BinaryPrimitives.ReadSingleLittleEndian(body[(4 * i)..])))
                throw new StateFormatException($"Meta-adapter state parameter {i} is not finite.");
        for (int i = 0; i < ParameterCount; i++)
            _theta[i] = BinaryPrimitives.ReadSingleLittleEndian(body[(4 * i)..]);
        Array.Clear(_momentum);
    }
}
