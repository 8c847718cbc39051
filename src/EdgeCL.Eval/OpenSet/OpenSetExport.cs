using EdgeCL.Core.Learning.OpenSet;

namespace EdgeCL.Eval.OpenSet;

/// <summary>Writes the open-set stream's exact embeddings, so a gate or a scoring rule can be tried offline on the
/// same vectors the learners saw (<c>eval --unknown ... --export DIR</c>).</summary>
/// <remarks>
/// Files: <c>taught.npy</c> + <c>taught.labels.txt</c> (the shots, then the background examples labelled
/// <c>_background</c>); <c>stream.npy</c> + <c>stream.tsv</c> (one line per stream row, in stream order:
/// condition index, known 1/0, label (or <c>unknown</c>), group, window 1/0, seconds a window stands for, file, and the
/// device's reason for not embedding it or <c>-</c>; such a row's vector is zeros).
/// </remarks>
internal static class OpenSetExport
{
    public static void Write(string directory, List<(string Label, float[] Row)> taught, List<float[]> backgroundRows,
        List<StreamEvent> stream, int dimension)
    {
        Directory.CreateDirectory(directory);
        var labelled = taught.Concat(backgroundRows.Select(r => (Label: ReservedLabels.Background, Row: r))).ToList();
        PeerExport.WriteNpy(Path.Combine(directory, "taught.npy"), Flatten(labelled.Select(t => t.Row), dimension), labelled.Count, dimension);
        PeerExport.WriteLines(Path.Combine(directory, "taught.labels.txt"), labelled.Select(t => t.Label));
        PeerExport.WriteNpy(Path.Combine(directory, "stream.npy"), Flatten(stream.Select(e => e.Embedding ?? new float[dimension]), dimension), stream.Count, dimension);
        PeerExport.WriteLines(Path.Combine(directory, "stream.tsv"), stream.Select(e => string.Join('\t',
            e.Condition.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Known ? "1" : "0", e.Label, e.Group,
            e.Window ? "1" : "0", e.Seconds.ToString("R", System.Globalization.CultureInfo.InvariantCulture), e.Path, e.NotAWord ?? "-")));
    }

    private static float[] Flatten(IEnumerable<float[]> rows, int dimension)
    {
        var list = rows.ToList();
        var data = new float[list.Count * dimension];
        for (int i = 0; i < list.Count; i++)
            list[i].AsSpan(0, dimension).CopyTo(data.AsSpan(i * dimension, dimension));
        return data;
    }
}
