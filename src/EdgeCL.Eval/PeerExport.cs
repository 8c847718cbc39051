using System.Text;
using System.Text.Json;
using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Learning;
using EdgeCL.Core.Serialization;
using EdgeCL.Eval.Embedding;
using EdgeCL.Eval.Reporting;
using EdgeCL.Onnx.Images;

namespace EdgeCL.Eval;

/// <summary>Writes the exact embeddings of the first draw, with labels and each static method's predictions, so
/// peer libraries (scikit-learn) can be run on the same vectors (<c>--export DIR</c>).</summary>
/// <remarks>
/// Files: <c>support.npy</c> + <c>support.labels.txt</c> (every labelled step, in stream order);
/// <c>test.npy</c> + <c>test.labels.txt</c>, <c>test.domains.txt</c>, <c>test.files.txt</c> (every held-out
/// sample); <c>predictions.&lt;method&gt;.txt</c> (a fresh learner taught all labelled steps, then
/// <c>Predict</c> on each test row: no adaptation); <c>export.json</c>. <c>tests/fidelity/check_sklearn.py DIR</c>
/// checks the nearest-mean and 1-NN predictions against scikit-learn. With an image backbone it also writes the
/// whole stream of draw 0 as the backbone sees it (after decoding and corruption, before preprocessing), so a peer
/// (<c>ops/eval/tent_peer.py</c>) adapts on exactly the same images: <c>stream.images.npy</c> (float32 pixel values
/// 0–255, [steps, channels·height·width]), <c>stream.labels.txt</c>, <c>stream.domains.txt</c> and
/// <c>stream.labelled.txt</c> (1 for a labelled step), one line per step in stream order. Every backbone also gets
/// <c>stream.embeddings.npy</c>: the embedding of every step of draw 0 in stream order, with the same three text files.
/// </remarks>
public static class PeerExport
{
    /// <summary>Writes the export for draw 0 of <paramref name="plan"/> (embeddings must be cached or computable).</summary>
    public static void Write(EvalPlan plan, string directory)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(directory);
        Directory.CreateDirectory(directory);
        EvaluationStream stream = plan.Streams[0];
        int d = plan.Cache.Space.Dimension;

        var supportSamples = stream.Steps.Where(s => s.Labelled).Select(s => s.Sample).ToList();
        var testSamples = new List<int>();
        var seen = new HashSet<int>();
        foreach (EvaluationSet set in stream.Sets)
            foreach (int s in set.Samples)
                if (seen.Add(s))
                    testSamples.Add(s);

        float[] Matrix(List<int> samples)
        {
            var m = new float[samples.Count * d];
            for (int i = 0; i < samples.Count; i++)
            {
                StreamSample s = stream.Samples[samples[i]];
                plan.Cache.Get(s.Item, s.Domain).CopyTo(m.AsSpan(i * d, d));
            }
            return m;
        }
        float[] support = Matrix(supportSamples), test = Matrix(testSamples);
        WriteNpy(Path.Combine(directory, "support.npy"), support, supportSamples.Count, d);
        WriteLines(Path.Combine(directory, "support.labels.txt"), supportSamples.Select(s => stream.Samples[s].Label));
        WriteNpy(Path.Combine(directory, "test.npy"), test, testSamples.Count, d);
        WriteLines(Path.Combine(directory, "test.labels.txt"), testSamples.Select(s => stream.Samples[s].Label));
        WriteLines(Path.Combine(directory, "test.domains.txt"), testSamples.Select(s => stream.Domains[stream.Samples[s].Domain]));
        WriteLines(Path.Combine(directory, "test.files.txt"), testSamples.Select(s => plan.Items[stream.Samples[s].Item].Key));

        WriteEmbeddingStream(plan, stream, directory);
        if (plan.Embedder is ImageSampleEmbedder images)
            WriteImageStream(plan, stream, images, directory);

        var exported = new List<ExportedMethod>();
        foreach (MethodSpec method in plan.Methods.Where(m => m.Adapter is null))
        {
            IStreamLearner learner = plan.Learners.Create(method.Learner, plan.Cache.Space, plan.LearnerOptions);
            for (int i = 0; i < supportSamples.Count; i++)
                learner.Learn(stream.Samples[supportSamples[i]].Label, support.AsSpan(i * d, d));
            var predictions = new List<string>(testSamples.Count);
            for (int i = 0; i < testSamples.Count; i++)
                predictions.Add(learner.Predict(test.AsSpan(i * d, d)).Label);
            WriteLines(Path.Combine(directory, $"predictions.{method.Name}.txt"), predictions);
            var parameters = plan.LearnerOptions.Parameters.Where(kv => kv.Key.StartsWith(method.Learner + ".", StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            exported.Add(new ExportedMethod(method.Name, method.Learner, parameters));
        }
        var manifest = new ExportManifest(plan.Cache.Space.Id, d, supportSamples.Count, testSamples.Count, exported);
        File.WriteAllText(Path.Combine(directory, "export.json"), JsonSerializer.Serialize(manifest, EvalJsonContext.Default.ExportManifest));
    }

    // The whole stream of draw 0 in the order the learners see it, as embeddings: an adaptation method can be
    // replayed offline on exactly the online protocol's samples (issue 11's correlated-order analysis).
    private static void WriteEmbeddingStream(EvalPlan plan, EvaluationStream stream, string directory)
    {
        int d = plan.Cache.Space.Dimension, steps = stream.Steps.Count;
        var rows = new float[(long)steps * d <= int.MaxValue ? steps * d : throw new InvalidOperationException($"The stream ({steps} steps) is too large to export; use --max-per-class.")];
        for (int i = 0; i < steps; i++)
        {
            StreamSample s = stream.Samples[stream.Steps[i].Sample];
            plan.Cache.Get(s.Item, s.Domain).CopyTo(rows.AsSpan(i * d, d));
        }
        WriteNpy(Path.Combine(directory, "stream.embeddings.npy"), rows, steps, d);
        WriteStreamLabels(stream, directory);
    }

    private static void WriteStreamLabels(EvaluationStream stream, string directory)
    {
        WriteLines(Path.Combine(directory, "stream.labels.txt"), stream.Steps.Select(t => stream.Samples[t.Sample].Label));
        WriteLines(Path.Combine(directory, "stream.domains.txt"), stream.Steps.Select(t => stream.Domains[stream.Samples[t.Sample].Domain]));
        WriteLines(Path.Combine(directory, "stream.labelled.txt"), stream.Steps.Select(t => t.Labelled ? "1" : "0"));
    }

    private static void WriteImageStream(EvalPlan plan, EvaluationStream stream, ImageSampleEmbedder images, string directory)
    {
        int steps = stream.Steps.Count;
        float[]? pixels = null;
        int size = 0;
        for (int i = 0; i < steps; i++)
        {
            StreamSample s = stream.Samples[stream.Steps[i].Sample];
            DecodedImage image = images.Render(plan.Items[s.Item], plan.Shifts[s.Domain]);
            if (pixels is null)
            {
                size = image.Pixels.Length;
                pixels = new float[(long)steps * size <= int.MaxValue ? steps * size : throw new InvalidOperationException($"The image stream ({steps} steps) is too large to export; use --max-per-class.")];
            }
            if (image.Pixels.Length != size)
                throw new InvalidOperationException($"Image {plan.Items[s.Item].Key} has {image.Pixels.Length} values, the first {size}; the image export needs one size.");
            for (int j = 0; j < size; j++)
                pixels[i * size + j] = image.Pixels[j];
        }
        WriteNpy(Path.Combine(directory, "stream.images.npy"), pixels ?? [], steps, size);
    }

    internal static void WriteNpy(string path, float[] data, int rows, int dimension)
    {
        using FileStream stream = File.Create(path);
        Npy.Write(stream, data, [rows, dimension]);
    }

    internal static void WriteLines(string path, IEnumerable<string> lines)
    {
        var text = new StringBuilder();
        foreach (string line in lines)
            text.Append(line).Append('\n');
        File.WriteAllText(path, text.ToString());
    }
}
