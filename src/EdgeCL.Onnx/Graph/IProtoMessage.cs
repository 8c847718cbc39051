using Google.Protobuf;

namespace EdgeCL.Onnx.Graph;

/// <summary>Hand-written protobuf message: reads its own fields, visits them for sizing/writing, keeps what it does not model.</summary>
internal interface IProtoMessage
{
    /// <summary>
    /// Reads the value of the field whose tag was just read. Returns false, having consumed nothing,
    /// when the field is not modelled or arrives with another wire type; the reader then keeps it raw.
    /// </summary>
    bool ReadField(ProtoReader reader, int number, WireFormat.WireType wire);

    /// <summary>
    /// Visits every modelled field, present or not, in ascending field-number order (the order protobuf writers use;
    /// the writer relies on it to put unknown fields back where they were).
    /// </summary>
    void Serialize(ProtoWriter writer);

    /// <summary>Fields this class does not model, byte for byte, in the order they were read; null when none.</summary>
    List<UnknownField>? UnknownFields { get; set; }
}

/// <summary>A field kept verbatim (tag and payload) so that read→write loses nothing.</summary>
/// <param name="After">
/// Number of the last modelled field read before it (0: none). It is written back after the modelled fields numbered
/// up to that number and before the next higher one, which for a canonically ordered file is exactly where it was.
/// </param>
/// <param name="Raw">Tag and payload exactly as read.</param>
internal readonly record struct UnknownField(int After, byte[] Raw);
