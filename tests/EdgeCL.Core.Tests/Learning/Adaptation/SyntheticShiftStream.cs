using EdgeCL.Core.Learning;
using EdgeCL.Core.Learning.Adaptation;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Tests.Learning.Adaptation;

/// <summary>A synthetic stream for the test centre (issue 11): 6 classes in 16-d, support taught clean, then 1,200
/// samples under one shift, shuffled or in runs of one class.</summary>
internal static class SyntheticShiftStream
{
    public const int Dimension = 16;
    public const int Classes = 6;

    /// <summary>Online accuracy of static <c>ncm-centred</c> (first) and of <c>ncm-test-centred</c> with each parameter set.</summary>
    /// <param name="run">Samples per run of one class; 1 = shuffled.</param>
    /// <param name="shiftScale">Size of the offset the shift adds to every sample.</param>
    /// <param name="noise">Per-coordinate noise of the shifted samples.</param>
    /// <param name="classScale">What is left of the class signal under the shift (1 = all of it; blur-like shifts shrink it).</param>
    public static double[] Online(EmbeddingSpace space, int seed, int run, float shiftScale, float noise, float classScale, params Dictionary<string, string>[] variants)
    {
        var rng = new Random(seed);
        float[][] means = Enumerable.Range(0, Classes).Select(_ => TestVectors.Random(rng, Dimension)).ToArray();
        float[] common = TestVectors.Random(rng, Dimension, 0.5f, 3f), shift = TestVectors.Random(rng, Dimension, shiftScale);
        float[] Sample(int c, bool shifted, float n) => Enumerable.Range(0, Dimension)
            .Select(j => common[j] + (shifted ? classScale : 1f) * means[c][j] + (shifted ? shift[j] : 0f) + n * (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var support = Enumerable.Range(0, Classes * 5).Select(i => Sample(i / 5, false, 0.3f)).ToArray();
        var learners = new List<IStreamLearner> { LearnerRegistry.CreateDefault().Create("ncm-centred", space) };
        foreach (Dictionary<string, string> p in variants)
            learners.Add(LearnerRegistry.CreateDefault().Create(TestCentredNcmLearner.MethodName, space, new LearnerOptions { Parameters = p }));
        foreach (IStreamLearner l in learners)
            for (int i = 0; i < support.Length; i++)
                l.Learn("c" + (i / 5), support[i]);
        var correct = new int[learners.Count];
        const int Steps = 1200;
        for (int i = 0; i < Steps; i++)
        {
            int c = run == 1 ? rng.Next(Classes) : (i / run * 5 + seed) % Classes;
            float[] x = Sample(c, shifted: true, noise);
            for (int l = 0; l < learners.Count; l++)
                if (learners[l].Observe(x).Label == "c" + c)
                    correct[l]++;
        }
        return correct.Select(n => n / (double)Steps).ToArray();
    }
}
