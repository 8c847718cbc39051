using System.Buffers.Binary;
using System.Security.Cryptography;

namespace EdgeCL.Core.Fleet.Signing;

/// <summary>
/// The batch roots whose signatures a receiver has already checked, so the other messages of the same batch cost a
/// path of hashes instead of an ECDSA verification; and the receiver's count of signature checks.
/// </summary>
/// <remarks>
/// <para>Keyed by the identity of the trusted key (a stamp <see cref="TrustStore"/> gives each key it loads, so a
/// root verified for device A never admits device B's message, and a replaced or removed key drops its roots) plus
/// SHA-256 of the signed root statement (tree size and root) and the signature, so a copy with any other size, root or
/// signature bytes is verified afresh (and fails). The next message of the batch last verified is usually proven by
/// that message's path alone (<see cref="VerifiedPath"/>). Bounded: a clock (second-chance) cache of <see cref="Capacity"/> roots, whose arrays and
/// index are allocated once; looking up and adding allocate nothing.</para>
/// <para>Thread-safe (one lock). One cache per receiver: sharing one between simulated devices would hide the checks
/// each real device makes.</para>
/// </remarks>
public sealed class VerifiedRootCache
{
    /// <summary>Default number of roots kept: an aggregator sees one root per device flush.</summary>
    public const int DefaultCapacity = 1024;

    private readonly RootKey[] _keys;
    private readonly bool[] _referenced;
    private readonly Dictionary<RootKey, int> _slots;
    private readonly Lock _gate = new();
    private readonly VerifiedPath _lastPath = new();
    private int _count, _hand;
    private long _signatureChecks, _cachedRoots, _reusedPaths;

    /// <summary>Creates an empty cache.</summary>
    /// <param name="capacity">Roots kept (1 to 1,048,576).</param>
    public VerifiedRootCache(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1 << 20);
        Capacity = capacity;
        _keys = new RootKey[capacity];
        _referenced = new bool[capacity];
        _slots = new Dictionary<RootKey, int>(capacity);
    }

    /// <summary>Most roots held at once.</summary>
    public int Capacity { get; }

    /// <summary>Roots held now.</summary>
    public int Count
    {
        get { lock (_gate) return _count; }
    }

    /// <summary>ECDSA verifications made by the receiver that owns this cache (single signatures and batch roots not found here).</summary>
    public long SignatureChecks => Interlocked.Read(ref _signatureChecks);

    /// <summary>Batch-signed messages accepted on a root found here, without an ECDSA verification.</summary>
    public long CachedRoots => Interlocked.Read(ref _cachedRoots);

    /// <summary>Of <see cref="CachedRoots"/>, the messages proven part-way up by the last verified path (no root lookup).</summary>
    internal long ReusedPaths => Interlocked.Read(ref _reusedPaths);

    internal void CountSignatureCheck() => Interlocked.Increment(ref _signatureChecks);

    internal bool Contains(long keyStamp, ReadOnlySpan<byte> statement, ReadOnlySpan<byte> signature)
    {
        var key = RootKey.Of(keyStamp, statement, signature);
        lock (_gate)
        {
            if (!_slots.TryGetValue(key, out int slot))
                return false;
            _referenced[slot] = true;
        }
        Interlocked.Increment(ref _cachedRoots);
        return true;
    }

    internal void Add(long keyStamp, ReadOnlySpan<byte> statement, ReadOnlySpan<byte> signature)
    {
        var key = RootKey.Of(keyStamp, statement, signature);
        lock (_gate)
        {
            if (_slots.ContainsKey(key))
                return;
            int slot;
            if (_count < Capacity)
            {
                slot = _count++;
            }
            else
            {
                // Clock: skip (and clear) recently used roots; evict the first one not used since the hand last passed.
                while (_referenced[_hand])
                {
                    _referenced[_hand] = false;
                    _hand = (_hand + 1) % Capacity;
                }
                slot = _hand;
                _hand = (_hand + 1) % Capacity;
                _slots.Remove(_keys[slot]);
            }
            _keys[slot] = key;
            _referenced[slot] = false;
            _slots.Add(key, slot);
        }
    }

    // A message proven by the last verified path (VerifiedPath) counts as accepted on a verified root.
    internal bool TryReusePath(long keyStamp, ReadOnlySpan<byte> leaf, int index, int size, ReadOnlySpan<byte> path, ReadOnlySpan<byte> signature,
        Span<byte> nodes, out int top)
    {
        bool reused;
        lock (_gate)
            reused = _lastPath.TryReuse(keyStamp, leaf, index, size, path, signature, nodes, out top);
        if (reused)
        {
            Interlocked.Increment(ref _cachedRoots);
            Interlocked.Increment(ref _reusedPaths);
        }
        return reused;
    }

    internal void RememberPath(long keyStamp, int index, int size, ReadOnlySpan<byte> path, ReadOnlySpan<byte> signature, ReadOnlySpan<byte> nodes, int top)
    {
        lock (_gate)
            _lastPath.Remember(keyStamp, index, size, path, signature, nodes, top);
    }

    private readonly record struct RootKey(long KeyStamp, ulong H0, ulong H1, ulong H2, ulong H3)
    {
        public static RootKey Of(long keyStamp, ReadOnlySpan<byte> statement, ReadOnlySpan<byte> signature)
        {
            Span<byte> both = stackalloc byte[statement.Length + signature.Length];
            statement.CopyTo(both);
            signature.CopyTo(both[statement.Length..]);
            Span<byte> h = stackalloc byte[32];
            SHA256.HashData(both, h);
            return new RootKey(keyStamp, BinaryPrimitives.ReadUInt64LittleEndian(h), BinaryPrimitives.ReadUInt64LittleEndian(h[8..]),
                BinaryPrimitives.ReadUInt64LittleEndian(h[16..]), BinaryPrimitives.ReadUInt64LittleEndian(h[24..]));
        }
    }
}
