using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Learning;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Tests.Evaluation;

/// <summary>Synthetic items and embeddings for stream tests: class c has a fixed direction, domain d adds an offset.</summary>
internal static class TestStreams
{
    public static readonly EmbeddingSpace Space = new("00000000000000ab", 8);

    public static List<ProtocolItem> Items(int classes, int perClass, int domain = ProtocolItem.AnyDomain)
    {
        var items = new List<ProtocolItem>();
        for (int c = 0; c < classes; c++)
            for (int i = 0; i < perClass; i++)
                items.Add(new ProtocolItem(c * perClass + i, "c" + c, domain));
        return items;
    }

    /// <summary>A static source: class direction + small per-item jitter + a domain offset.</summary>
    public sealed class SyntheticSource(EvaluationStream stream, float domainShift = 0f) : IEmbeddingSource
    {
        public EmbeddingSpace Space => TestStreams.Space;

        public bool IsStatic => true;

        public List<EmbeddingPurpose> Purposes { get; } = [];

        public void Embed(int sample, EmbeddingPurpose purpose, Span<float> destination)
        {
            Purposes.Add(purpose);
            StreamSample s = stream.Samples[sample];
            int c = int.Parse(s.Label[1..], System.Globalization.CultureInfo.InvariantCulture);
            var rng = new Random(s.Item * 31 + 7);
            for (int j = 0; j < destination.Length; j++)
                destination[j] = (j == c % destination.Length ? 1f : 0f) + 0.05f * (float)(rng.NextDouble() - 0.5) + domainShift * s.Domain;
        }

        public void Reset()
        {
        }
    }

    /// <summary>Records calls; Observe predicts then flips to predicting a fixed wrong class (to prove the counted prediction is pre-update).</summary>
    public sealed class SpyLearner : IStreamLearner
    {
        private readonly NcmLearner _inner = new(TestStreams.Space, CentringMode.None);

        public string Name => "spy";

        public EmbeddingSpace Space => TestStreams.Space;

        public int ClassCount => _inner.ClassCount;

        public List<string> Calls { get; } = [];

        public bool Sabotaged { get; private set; }

        public void Learn(string label, ReadOnlySpan<float> embedding)
        {
            Calls.Add("learn:" + label);
            _inner.Learn(label, embedding);
        }

        public Prediction Predict(ReadOnlySpan<float> embedding) =>
            Sabotaged ? new Prediction(0, "wrong", 0, 0, 1, 0) : _inner.Predict(embedding);

        public Prediction Observe(ReadOnlySpan<float> embedding)
        {
            Calls.Add("observe");
            Prediction before = Predict(embedding);
            Sabotaged = true; // the "adaptation" ruins every later prediction
            return before;
        }

        public void Reset() => Sabotaged = false;

        public bool Forget(string label) => _inner.Forget(label);
    }
}
