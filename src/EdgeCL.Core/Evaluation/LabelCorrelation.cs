using System.Globalization;
namespace EdgeCL.Core.Evaluation;

/// <summary>
/// Label-correlated stream order: RoTTA's practical-TTA sampler (algorithms.md §3.6, <c>ttasampler.py</c>), so a
/// class arrives many times in a row as it does on a device.
/// </summary>
/// <remarks>
/// Each class's samples (shuffled) are split into S = min(C, 100) slots with proportions drawn from
/// Dirichlet(γ·1); each slot concatenates its class chunks in random order, and the slots follow each other. Small
/// γ (0.01–0.1) puts almost every class into one slot (long runs); large γ (≥ 100) spreads each class evenly
/// (short runs, close to i.i.d.). Deterministic by the random source.
/// </remarks>
public static class LabelCorrelation
{
    /// <summary>Smallest accepted concentration.</summary>
    public const double MinConcentration = 1e-3;

    /// <summary>Largest accepted concentration.</summary>
    public const double MaxConcentration = 1000;

    /// <summary>Orders <paramref name="items"/> with Dirichlet(γ) label correlation.</summary>
    /// <param name="items">The items of one condition.</param>
    /// <param name="labelOf">The class of an item.</param>
    /// <param name="concentration">γ, in [<see cref="MinConcentration"/>, <see cref="MaxConcentration"/>].</param>
    /// <param name="random">The random source.</param>
    /// <exception cref="ArgumentException">γ out of range.</exception>
    public static List<T> Order<T>(IReadOnlyList<T> items, Func<T, string> labelOf, double concentration, DeterministicRandom random)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(labelOf);
        ArgumentNullException.ThrowIfNull(random);
        Check(concentration);
        var byClass = items.GroupBy(labelOf).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.ToList()).ToList();
        int slots = Math.Clamp(byClass.Count, 1, 100);
        var slotChunks = new List<List<T>>[slots];
        for (int s = 0; s < slots; s++)
            slotChunks[s] = [];
        var proportions = new double[slots];
        foreach (List<T> members in byClass)
        {
            random.Shuffle(members);
            Dirichlet(concentration, random, proportions);
            // Cumulative cut points, as numpy.split at (cumsum(p)[:-1]·n).astype(int).
            double cumulative = 0;
            int start = 0;
            for (int s = 0; s < slots; s++)
            {
                cumulative += proportions[s];
                int end = s == slots - 1 ? members.Count : Math.Min(members.Count, (int)(cumulative * members.Count));
                if (end > start)
                    slotChunks[s].Add(members.GetRange(start, end - start));
                start = Math.Max(start, end);
            }
        }
        var ordered = new List<T>(items.Count);
        foreach (List<List<T>> chunks in slotChunks)
        {
            random.Shuffle(chunks);
            foreach (List<T> chunk in chunks)
                ordered.AddRange(chunk);
        }
        return ordered;
    }

    /// <summary>Throws the one-line error of an out-of-range concentration.</summary>
    /// <exception cref="ArgumentException">γ out of range.</exception>
    public static void Check(double concentration)
    {
        if (!(concentration >= MinConcentration && concentration <= MaxConcentration))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--correlation is a Dirichlet concentration in {MinConcentration}..{MaxConcentration} (0.1 = RoTTA's long runs, 100 = close to shuffled); use 0 or leave it out for a shuffled stream (got {concentration})."));
    }

    /// <summary>Mean run length (consecutive equal labels) of a label sequence: 1 for alternating, n for one class.</summary>
    public static double MeanRunLength(IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count == 0)
            return 0;
        int runs = 1;
        for (int i = 1; i < labels.Count; i++)
            if (!string.Equals(labels[i], labels[i - 1], StringComparison.Ordinal))
                runs++;
        return (double)labels.Count / runs;
    }

    private static void Dirichlet(double alpha, DeterministicRandom random, double[] destination)
    {
        double sum = 0;
        for (int i = 0; i < destination.Length; i++)
            sum += destination[i] = Gamma(alpha, random);
        if (!(sum > 0))
        {
            // Every draw underflowed (tiny α): all mass on one random slot, the limit of Dirichlet(α → 0).
            Array.Clear(destination);
            destination[random.NextInt(0, destination.Length)] = 1;
            return;
        }
        for (int i = 0; i < destination.Length; i++)
            destination[i] /= sum;
    }

    /// <summary>Gamma(α, 1) by Marsaglia-Tsang; α &lt; 1 through Gamma(α + 1)·U^(1/α).</summary>
    private static double Gamma(double alpha, DeterministicRandom random)
    {
        if (alpha < 1)
        {
            double u = Math.Max(random.NextDouble(), double.Epsilon);
            return Gamma(alpha + 1, random) * Math.Pow(u, 1 / alpha);
        }
        double d = alpha - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x = random.NextGaussian(), v = 1 + c * x;
            if (v <= 0)
                continue;
            v = v * v * v;
            double u = random.NextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.Log(Math.Max(u, double.Epsilon)) < 0.5 * x * x + d * (1 - v + Math.Log(v)))
                return d * v;
        }
    }
}
