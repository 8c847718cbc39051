namespace EdgeCL.Sync.Payloads;

/// <summary>How a mean travels on the wire.</summary>
public enum VectorEncoding : byte
{
    /// <summary>IEEE float32, little-endian: exact.</summary>
    Float32 = 1,

    /// <summary>IEEE float16, little-endian: half the bytes, about 3 significant digits.</summary>
    Float16 = 2,
}
