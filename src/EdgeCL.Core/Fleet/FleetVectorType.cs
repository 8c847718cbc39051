namespace EdgeCL.Core.Fleet;

/// <summary>Element type of the mean on the wire.</summary>
public enum FleetVectorType : byte
{
    /// <summary>No vector: a tombstone.</summary>
    None = 0,

    /// <summary>IEEE 754 binary32, exact.</summary>
    Float32 = 1,

    /// <summary>IEEE 754 binary16 (<see cref="Half"/>): half the bytes, relative error ≤ 2^-11 per normal element.</summary>
    Float16 = 2,
}
