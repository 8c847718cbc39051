using System.Buffers.Binary;
using System.Text;

namespace EdgeCL.Storage.Tests.Faults;

/// <summary>One call recorded by <c>ops/faults/powerloss.c</c> (the record types are listed at the top of that file).</summary>
/// <param name="Type">B base file, C create, W write, T truncate, S file fsync, D folder fsync, R rename, L link, U unlink, E failed on purpose, X power cut.</param>
/// <param name="Inode">The file's inode number (0 where none).</param>
/// <param name="A">Offset (W), length (T), size (B), replaced inode (R), errno (E).</param>
/// <param name="Length">Bytes written (W).</param>
/// <param name="Path">Path relative to the watched folder.</param>
/// <param name="Path2">Second path (R: the new name; L: the link).</param>
/// <param name="DataOffset">Where the written bytes start in the journal (W).</param>
internal readonly record struct JournalRecord(char Type, ulong Inode, ulong A, ulong Length, string Path, string Path2, int DataOffset);

/// <summary>Reads the journal that the power-loss shim appends to.</summary>
internal sealed class PowerLossJournal
{
    private const int HeaderBytes = 1 + 8 * 3 + 4 * 2;

    private PowerLossJournal(byte[] bytes, List<JournalRecord> records)
    {
        Bytes = bytes;
        Records = records;
    }

    /// <summary>The whole journal; <see cref="JournalRecord.DataOffset"/> points into it.</summary>
    public byte[] Bytes { get; }

    public IReadOnlyList<JournalRecord> Records { get; }

    /// <summary>Watched calls the shim counted (the numbering of POWERLOSS_CUT_AT): every record but B, E and X.</summary>
    public int Calls => Records.Count(r => r.Type is not ('B' or 'E' or 'X'));

    /// <summary>About the write-side calls the shim counted apart (the numbering of POWERLOSS_FAIL_AT): W, T, S, D and E records
    /// (a T of an open with O_TRUNC is counted here but not by the shim: good enough to pick a random call).</summary>
    public int FailableCalls => Records.Count(r => r.Type is 'W' or 'T' or 'S' or 'D' or 'E');

    public bool WasCut => Records.Count > 0 && Records[^1].Type == 'X';

    public ReadOnlySpan<byte> Data(JournalRecord record) => Bytes.AsSpan(record.DataOffset, checked((int)record.Length));

    public static PowerLossJournal Read(string path)
    {
        byte[] bytes = File.Exists(path) ? File.ReadAllBytes(path) : [];
        var records = new List<JournalRecord>();
        int at = 0;
        while (at < bytes.Length)
        {
            if (bytes.Length - at < HeaderBytes)
                throw new InvalidDataException($"journal '{path}' ends inside a record header at byte {at}");
            ReadOnlySpan<byte> h = bytes.AsSpan(at, HeaderBytes);
            char type = (char)h[0];
            ulong inode = BinaryPrimitives.ReadUInt64LittleEndian(h[1..]);
            ulong a = BinaryPrimitives.ReadUInt64LittleEndian(h[9..]);
            ulong b = BinaryPrimitives.ReadUInt64LittleEndian(h[17..]);
            int l1 = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(h[25..]));
            int l2 = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(h[29..]));
            at += HeaderBytes;
            string p1 = Encoding.UTF8.GetString(bytes, at, l1);
            at += l1;
            string p2 = Encoding.UTF8.GetString(bytes, at, l2);
            at += l2;
            int data = at;
            if (type == 'W')
                at = checked(at + (int)b);
            if (at > bytes.Length || "BCWTSDRLUEX".IndexOf(type) < 0)
                throw new InvalidDataException($"journal '{path}' has a damaged record at byte {data - l1 - l2 - HeaderBytes}");
            records.Add(new JournalRecord(type, inode, a, type == 'W' ? b : 0, p1, p2, data));
        }
        return new PowerLossJournal(bytes, records);
    }
}
