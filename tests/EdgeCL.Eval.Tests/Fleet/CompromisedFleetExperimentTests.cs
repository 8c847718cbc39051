using EdgeCL.Core.Vectors;
using EdgeCL.Eval.Fleet;

namespace EdgeCL.Eval.Tests.Fleet;

public class CompromisedFleetExperimentTests
{
    private static readonly EmbeddingSpace Space = new("c0ffee", 16);

    [Fact]
    public void AHugeClaimTakesOverCountWeighting_ACapAndANormBoundHoldIt()
    {
        (LabelledRows support, LabelledRows test) = Blobs(classes: 6, perClass: 30);
        float bound = support.NormPercentile(95);
        IReadOnlyList<CompromisedFleetRow> rows = CompromisedFleetExperiment.Run(Space, support, test, new CompromisedFleetOptions
        {
            Shots = [1, 2, 3, 5], Caps = [0, 2], MaxNorms = [0, bound], Scales = [1, 100], Draws = 3,
        });
        Assert.Equal(["count-weighted", "cap 2", $"norm <= {B(bound)}", $"cap 2, norm <= {B(bound)}", CompromisedFleetExperiment.MedianRow], rows.Select(r => r.Policy));
        CompromisedFleetRow plain = rows[0], capped = rows[1], both = rows[3];
        Assert.True(plain.Honest > 0.95, $"honest devices alone: {plain.Honest}");
        Assert.True(plain.Attacked[0] < 0.05, $"count weighting under a plausible vector with a huge count: {plain.Attacked[0]}");
        Assert.True(capped.Attacked[0] > 0.9, $"the cap holds a plausible vector: {capped.Attacked[0]}");
        Assert.True(capped.Attacked[1] < 0.5, $"the cap alone does not hold an inflated vector: {capped.Attacked[1]}");
        Assert.True(both.Attacked[1] > 0.9, $"cap and norm bound hold an inflated vector: {both.Attacked[1]}");
    }

    [Fact]
    public void TooFewSupportItemsForTheShotsIsOneLine()
    {
        (LabelledRows support, LabelledRows test) = Blobs(classes: 3, perClass: 4);
        var ex = Assert.Throws<ArgumentException>(() => CompromisedFleetExperiment.Run(Space, support, test, new CompromisedFleetOptions { Shots = [2, 3] }));
        Assert.Contains("has 4 support items but the honest devices need 5", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    private static string B(float bound) => bound.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);

    // Well-separated Gaussian classes around a common offset (as real embeddings sit), split half support, half test.
    private static (LabelledRows Support, LabelledRows Test) Blobs(int classes, int perClass)
    {
        var random = new Random(7);
        double[][] centres = [.. Enumerable.Range(0, classes).Select(_ => Enumerable.Range(0, Space.Dimension).Select(_ => 5 + (4 * random.NextDouble()) - 2).ToArray())];
        (List<string> Labels, List<float> Rows) support = ([], []), test = ([], []);
        for (int c = 0; c < classes; c++)
            for (int i = 0; i < 2 * perClass; i++)
            {
                var target = i < perClass ? support : test;
                target.Labels.Add($"w{c}");
                target.Rows.AddRange(centres[c].Select(x => (float)(x + (0.3 * (random.NextDouble() - 0.5)))));
            }
        return (new LabelledRows(support.Labels, [.. support.Rows], Space.Dimension), new LabelledRows(test.Labels, [.. test.Rows], Space.Dimension));
    }
}
