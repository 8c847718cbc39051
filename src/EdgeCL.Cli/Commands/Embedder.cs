using System.Diagnostics;
using EdgeCL.Cli.Data;
using EdgeCL.Onnx.Backbones;

namespace EdgeCL.Cli.Commands;

/// <summary>Embeds lists of files with a backbone, batching where the backbone supports it.</summary>
internal static class Embedder
{
    /// <summary>Embeds every file into one row-major [files × D] array; records per-file latency in milliseconds.</summary>
    public static float[] EmbedAll(IEmbeddingBackbone backbone, IReadOnlyList<LabelledFile> files, CancellationToken cancellationToken, List<double>? perFileMs = null)
    {
        int d = backbone.Space.Dimension;
        var result = new float[files.Count * d];
        bool showProgress = !Console.IsErrorRedirected && files.Count > 50;
        var clock = new Stopwatch();
        if (backbone is ImageBackbone image && perFileMs is null)
        {
            int batch = image.Model.MaxBatch;
            var paths = new List<string>(batch);
            for (int start = 0; start < files.Count; start += batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                paths.Clear();
                for (int i = start; i < Math.Min(files.Count, start + batch); i++)
                    paths.Add(files[i].Path);
                image.EmbedFiles(paths, result.AsSpan(start * d, paths.Count * d));
                if (showProgress) Progress(start + paths.Count, files.Count);
            }
        }
        else
        {
            for (int i = 0; i < files.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                clock.Restart();
                backbone.EmbedFile(files[i].Path, result.AsSpan(i * d, d));
                perFileMs?.Add(clock.Elapsed.TotalMilliseconds);
                if (showProgress && (i % 16 == 15 || i == files.Count - 1)) Progress(i + 1, files.Count);
            }
        }
        if (showProgress) Console.Error.WriteLine();
        return result;
    }

    private static void Progress(int done, int total) =>
        Console.Error.Write($"\r  embedding {done}/{total} ({100.0 * done / total:F0}%)   ");
}
