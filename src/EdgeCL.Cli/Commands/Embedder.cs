using System.Diagnostics;
using EdgeCL.Cli.Data;
using EdgeCL.Eval;
using EdgeCL.Onnx.Backbones;

namespace EdgeCL.Cli.Commands;

/// <summary>Embeds lists of files with a backbone, batching where the backbone supports it.</summary>
internal static class Embedder
{
    /// <summary>Embeds every file into one row-major [files × D] array; records per-file latency in milliseconds (then one at a time).</summary>
    /// <param name="backbone">The backbone.</param>
    /// <param name="files">The files.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <param name="perFileMs">Receives each file's latency, or null.</param>
    /// <param name="batch">Images per run for an image backbone opened with at least that many batch slots.</param>
    /// <param name="phase">What the progress bar (stderr, terminals only) calls this.</param>
    public static float[] EmbedAll(IEmbeddingBackbone backbone, IReadOnlyList<LabelledFile> files, CancellationToken cancellationToken, List<double>? perFileMs = null,
        int batch = 1, string phase = "embedding")
    {
        int d = backbone.Space.Dimension;
        var result = new float[files.Count * d];
        ProgressBar? bar = files.Count > 50 ? ProgressBar.ForTerminal() : null;
        var clock = new Stopwatch();
        if (backbone is ImageBackbone image && perFileMs is null && batch > 1)
        {
            batch = Math.Min(batch, image.Model.MaxBatch);
            var paths = new List<string>(batch);
            for (int start = 0; start < files.Count; start += batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                paths.Clear();
                for (int i = start; i < Math.Min(files.Count, start + batch); i++)
                    paths.Add(files[i].Path);
                image.EmbedFiles(paths, result.AsSpan(start * d, paths.Count * d));
                bar?.Report(new EvalProgress(phase, start + paths.Count, files.Count));
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
                bar?.Report(new EvalProgress(phase, i + 1, files.Count));
            }
        }
        bar?.Finish();
        return result;
    }
}
