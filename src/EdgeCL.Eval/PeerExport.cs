using System.Text;
using System.Text.Json;
using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Learning;
using EdgeCL.Core.Serialization;
using EdgeCL.Eval.Reporting;

namespace EdgeCL.Eval;

/// <summary>Writes the exact embeddings of the first draw, with labels and each static method's predictions, so
/// peer libraries (scikit-learn) can be run on the same vectors (<c>--export DIR</c>).</summary>
/// <remarks>
/// Files: <c>support.npy</c> + <c>support.labels.txt</c> (every labelled step, in stream order);
/// <c>test.npy</c> + <c>test.labels.txt</c>, <c>test.domains.txt</c>, <c>test.files.txt</c> (every held-out
/// sample); <c>predictions.&lt;method&gt;.txt</c> (a fresh learner taught all labelled steps, then
/// <c>Predict</c> on each test row: no adaptation); <c>export.json</c>. <c>tests/fidelity/check_sklearn.py DIR</c>
/// checks the nearest-mean and 1-NN predictions against scikit-learn.
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

    private static void WriteNpy(string path, float[] data, int rows, int dimension)
    {
        using FileStream stream = File.Create(path);
        Npy.Write(stream, data, [rows, dimension]);
    }

    private static void WriteLines(string path, IEnumerable<string> lines)
    {
        var text = new StringBuilder();
        foreach (string line in lines)
            text.Append(line).Append('\n');
        File.WriteAllText(path, text.ToString());
    }
}
