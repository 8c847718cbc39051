namespace EdgeCL.Storage.Tests.Faults;

/// <summary>
/// Replays a <see cref="PowerLossJournal"/> against the folder as it was before the run, and builds what a disk could
/// hold after the power was cut at the journal's end.
/// </summary>
/// <remarks>
/// <para><b>What is modelled.</b> A file's bytes as of its last completed fsync are on the disk. Of the writes and
/// truncations made after it, any may be lost: a power cut keeps either an in-order prefix of them (a file system
/// that writes back in order), a seeded random subset (a disk that reorders its cache), or all of them (nothing in
/// flight was lost: the same as kill -9). A write that is kept may be torn at 512-byte sector granularity: each
/// sector it touched holds the new bytes, the old bytes, or new bytes up to a random point ("linear" tearing); bytes
/// outside a write's range never change (SQLite's "powersafe overwrite" assumption). A write past the end leaves the
/// gap zero-filled. Directory operations (create, rename, link, unlink) are durable after an fsync of their folder;
/// of those made after it, an in-order prefix is kept (a journalled file system commits metadata in order). A file
/// whose name is not durable is gone with its bytes, even if the file itself was fsynced (POSIX: fsync of a file
/// does not make its directory entry durable).</para>
/// <para><b>What is not.</b> A failed fsync is a barrier that did nothing: the kernel is assumed to keep the pages
/// dirty and a later fsync makes them durable (Linux may instead drop them and report the loss only once, "fsyncgate";
/// seeing that needs a kernel-level fault device). Writes through mmap (SQLite's -shm wal-index) are not seen: the
/// -shm file is rebuilt as its write() calls leave it, and SQLite rebuilds the wal-index from the WAL on the first
/// open after a crash. Metadata such as timestamps and permissions, and folders created or removed, are not modelled.</para>
/// </remarks>
internal sealed class PowerCutDisk
{
    private const int Sector = 512;

    private sealed class Node(byte[] bytes)
    {
        public byte[] Durable = bytes;
        public byte[] Current = bytes;
        public readonly List<JournalRecord> Pending = [];
    }

    private readonly record struct DirOp(char Type, string Name, string Name2, Node Node);

    private readonly PowerLossJournal _journal;
    private readonly Dictionary<ulong, Node> _byInode = [];
    private readonly Dictionary<string, Node> _durableNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Node> _currentNames = new(StringComparer.Ordinal);
    private readonly List<DirOp> _pendingDirOps = [];

    /// <summary>Replays <paramref name="journal"/>; <paramref name="baseFolder"/> is a copy of the watched folder taken before the run.</summary>
    public PowerCutDisk(PowerLossJournal journal, string baseFolder)
    {
        _journal = journal;
        foreach (JournalRecord r in journal.Records)
            Replay(r, baseFolder);
    }

    /// <summary>Files fsynced with no write pending, and writes and directory operations that a cut could lose (for the report).</summary>
    public (int PendingWrites, int PendingDirOps) Unsynced => (_byInode.Values.Distinct().Sum(n => n.Pending.Count), _pendingDirOps.Count);

    /// <summary>
    /// Checks the replay against the real folder the process left (nothing lost): every file but the mmap'd -shm must hold
    /// exactly the bytes the journal says. Returns the first difference, or null. A mismatch means the shim missed a call.
    /// </summary>
    public string? DifferenceFrom(string realFolder)
    {
        var real = Directory.GetFiles(realFolder).Select(Path.GetFileName).Where(n => !n!.EndsWith("-shm", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var replayed = _currentNames.Keys.Where(n => !n.EndsWith("-shm", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        if (!real.SetEquals(replayed))
            return $"files differ: real [{string.Join(", ", real.Order())}], replayed [{string.Join(", ", replayed.Order())}]";
        foreach (string name in replayed)
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(realFolder, name));
            if (!bytes.AsSpan().SequenceEqual(_currentNames[name].Current))
                return $"'{name}' differs: real {bytes.Length} bytes, replayed {_currentNames[name].Current.Length}";
        }
        return null;
    }

    /// <summary>Writes into <paramref name="folder"/> (emptied first) one disk image that a power cut at the journal's end could leave.</summary>
    /// <returns>A short description of the choices made (for a failure message).</returns>
    public string CutInto(string folder, Random random)
    {
        int style = random.Next(4); // 0 in-order prefix, 1 and 2 random subset, 3 nothing lost
        double keep = random.NextDouble();
        int lostWrites = 0, tornWrites = 0;
        var images = new Dictionary<Node, byte[]>();
        foreach (Node node in _durableNames.Values.Concat(_currentNames.Values).Concat(_pendingDirOps.Select(o => o.Node)).Distinct())
        {
            byte[] bytes = node.Durable;
            int prefix = style == 0 ? random.Next(node.Pending.Count + 1) : node.Pending.Count;
            for (int i = 0; i < node.Pending.Count; i++)
            {
                JournalRecord op = node.Pending[i];
                double u = random.NextDouble();
                bool torn = op.Type == 'W' && (style == 0 ? i == prefix && u < 0.5 : style is 1 or 2 && u >= keep && u < keep + (1 - keep) / 2);
                bool kept = style == 3 || (style == 0 ? i < prefix : u < keep);
                if (torn)
                {
                    bytes = Torn(bytes, op, random);
                    tornWrites++;
                }
                else if (kept)
                    bytes = Apply(bytes, op);
                else
                    lostWrites++;
            }
            images[node] = bytes;
        }
        var names = new Dictionary<string, Node>(_durableNames, StringComparer.Ordinal);
        int dirOpsKept = style == 3 ? _pendingDirOps.Count : random.Next(_pendingDirOps.Count + 1);
        for (int i = 0; i < dirOpsKept; i++)
            ApplyDirOp(names, _pendingDirOps[i]);

        foreach (string file in Directory.GetFiles(folder))
            File.Delete(file);
        foreach (string dir in Directory.GetDirectories(folder))
            Directory.Delete(dir, recursive: true);
        foreach ((string name, Node node) in names)
        {
            string path = Path.Combine(folder, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, images[node]);
        }
        string[] styles = ["in-order prefix", "random subset", "random subset", "nothing lost"];
        return $"{styles[style]} (keep {keep:F2}): {lostWrites} unsynced writes lost, {tornWrites} torn, {dirOpsKept}/{_pendingDirOps.Count} directory operations kept";
    }

    private void Replay(JournalRecord r, string baseFolder)
    {
        switch (r.Type)
        {
            case 'B':
            {
                byte[] bytes = File.ReadAllBytes(Path.Combine(baseFolder, r.Path));
                if ((ulong)bytes.LongLength != r.A)
                    throw new InvalidDataException($"base file '{r.Path}' has {bytes.Length} bytes but the shim saw {r.A}: the base copy is not the folder the run started from");
                var node = new Node(bytes);
                _byInode[r.Inode] = node;
                _durableNames[r.Path] = node;
                _currentNames[r.Path] = node;
                break;
            }
            case 'C':
            {
                var node = new Node([]);
                _byInode[r.Inode] = node;
                AddDirOp(new DirOp('C', r.Path, "", node));
                break;
            }
            case 'W' or 'T':
            {
                Node node = NodeOf(r);
                node.Pending.Add(r);
                node.Current = Apply(node.Current, r);
                break;
            }
            case 'S':
            {
                Node node = NodeOf(r);
                node.Durable = node.Current;
                node.Pending.Clear();
                break;
            }
            case 'D':
                // The folder's own entries become durable, in order; entries of other folders stay pending.
                for (int i = 0; i < _pendingDirOps.Count; i++)
                {
                    DirOp op = _pendingDirOps[i];
                    if (Parent(op.Name) == r.Path || (op.Name2.Length > 0 && Parent(op.Name2) == r.Path))
                    {
                        ApplyDirOp(_durableNames, op);
                        _pendingDirOps.RemoveAt(i--);
                    }
                }
                break;
            case 'R':
            {
                if (r.Path.Length == 0)
                    throw new InvalidDataException($"a file was renamed into the watched folder from outside ('{r.Path2}'); the model cannot know its bytes");
                Node node = _currentNames.TryGetValue(r.Path, out Node? n) ? n : throw new InvalidDataException($"rename of '{r.Path}', which the replay does not have");
                AddDirOp(new DirOp(r.Path2.Length == 0 ? 'U' : 'R', r.Path, r.Path2, node));
                break;
            }
            case 'L':
                AddDirOp(new DirOp('L', r.Path2, "", NodeOf(r)));
                break;
            case 'U':
                AddDirOp(new DirOp('U', r.Path, "", _currentNames.TryGetValue(r.Path, out Node? gone) ? gone : throw new InvalidDataException($"unlink of '{r.Path}', which the replay does not have")));
                break;
        }
    }

    private Node NodeOf(JournalRecord r) =>
        _byInode.TryGetValue(r.Inode, out Node? node) ? node : throw new InvalidDataException($"'{r.Type}' record for '{r.Path}' names inode {r.Inode}, which no earlier record created");

    private void AddDirOp(DirOp op)
    {
        _pendingDirOps.Add(op);
        ApplyDirOp(_currentNames, op);
    }

    private static void ApplyDirOp(Dictionary<string, Node> names, DirOp op)
    {
        switch (op.Type)
        {
            case 'C' or 'L':
                names[op.Name] = op.Node;
                break;
            case 'R':
                names.Remove(op.Name);
                names[op.Name2] = op.Node;
                break;
            case 'U':
                names.Remove(op.Name);
                break;
        }
    }

    private static string Parent(string name)
    {
        int slash = name.LastIndexOf('/');
        return slash < 0 ? "" : name[..slash];
    }

    private byte[] Apply(byte[] bytes, JournalRecord op)
    {
        if (op.Type == 'T')
        {
            var cut = new byte[checked((int)op.A)];
            bytes.AsSpan(0, Math.Min(bytes.Length, cut.Length)).CopyTo(cut);
            return cut;
        }
        ReadOnlySpan<byte> data = _journal.Data(op);
        int offset = checked((int)op.A);
        byte[] result = new byte[Math.Max(bytes.Length, offset + data.Length)];
        bytes.CopyTo(result, 0);
        data.CopyTo(result.AsSpan(offset));
        return result;
    }

    /// <summary>A write the power cut in the middle of: per 512-byte sector, the new bytes, the old ones, or new up to a random point.</summary>
    private byte[] Torn(byte[] bytes, JournalRecord op, Random random)
    {
        ReadOnlySpan<byte> data = _journal.Data(op);
        long start = (long)op.A, end = start + data.Length;
        byte[] result = bytes;
        for (long sector = start / Sector * Sector; sector < end; sector += Sector)
        {
            long from = Math.Max(start, sector), to = Math.Min(end, sector + Sector);
            int choice = random.Next(4);
            if (choice == 2)
                continue; // old bytes
            if (choice == 3)
                to = from + random.Next((int)(to - from) + 1); // new bytes up to a random point
            if (to <= from)
                continue;
            if (to > result.Length)
                Array.Resize(ref result, (int)to);
            else if (ReferenceEquals(result, bytes))
                result = (byte[])bytes.Clone();
            data[(int)(from - start)..(int)(to - start)].CopyTo(result.AsSpan((int)from));
        }
        return result;
    }
}
