using System.Security.Cryptography;
using System.Text;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Onnx.Backbones;

/// <summary>Computes the embedding-space id: SHA-256 over the model bytes and a canonical preprocessing string.</summary>
public static class SpaceIdentity
{
    /// <summary>Hex characters kept from the hash: 64 bits, short enough for MQTT topics, ample against collisions in one fleet.</summary>
    public const int IdLength = 16;

    /// <summary>Returns the space for these models, preprocessing settings and dimension.</summary>
    /// <param name="models">Bytes of every model in the pipeline, in pipeline order.</param>
    /// <param name="preprocessing">Canonical, culture-invariant description of the front end (any change must change it).</param>
    /// <param name="dimension">Embedding length.</param>
    public static EmbeddingSpace Compute(IReadOnlyList<byte[]> models, string preprocessing, int dimension)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(preprocessing);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[8];
        foreach (byte[] model in models)
        {
            // Length-prefix each part so that (a, bc) and (ab, c) hash differently.
            BitConverter.TryWriteBytes(length, (long)model.Length);
            hash.AppendData(length);
            hash.AppendData(model);
        }
        byte[] pre = Encoding.UTF8.GetBytes(preprocessing);
        BitConverter.TryWriteBytes(length, (long)pre.Length);
        hash.AppendData(length);
        hash.AppendData(pre);
        string hex = Convert.ToHexStringLower(hash.GetHashAndReset());
        var space = new EmbeddingSpace(hex[..IdLength], dimension);
        space.Validate();
        return space;
    }

    /// <summary>Lower-case hex SHA-256 of a byte array (model-card checksums).</summary>
    public static string Sha256Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
