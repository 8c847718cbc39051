using EdgeCL.Core.Fleet;
using EdgeCL.Core.Memory;

namespace EdgeCL.Cli.Commands;

// --cap N and --compromised K: a per-device weight cap, and K devices with valid keys that publish, for every class, the
// honest mean of the next class with a huge count (docs/fleet-aggregation.md, "A compromised device").
internal sealed partial class FleetSimulation
{
    /// <summary>What a compromised device claims to have learned per class.</summary>
    public const long ClaimedCount = 1_000_000;

    /// <summary>Per-device weight cap of every device and aggregator (sync.max_examples_per_device); 0 = count weighting.</summary>
    public long Cap { get; init; }

    /// <summary>The last K devices are compromised: wrong-label prototypes with <see cref="ClaimedCount"/> examples.</summary>
    public int Compromised { get; init; }

    /// <summary>Mean norm bound of every device and aggregator (sync.max_mean_norm); 0 = none.</summary>
    public float MaxNorm { get; init; }

    private FleetMergePolicy Policy => new() { MaxExamplesPerDevice = Cap, MaxMeanNorm = MaxNorm };

    private void CheckAttack()
    {
        FleetAggregateCommand.Policy(Cap, MaxNorm);
        if (Compromised < 0 || Compromised >= Devices)
            throw new ArgumentException($"--compromised {Compromised} must be 0..{Devices - 1} (at least one device must be honest).");
        if (Compromised > 0 && !Overlap)
            throw new ArgumentException("--compromised needs --overlap: without it each class has a single device, so there is no honest contribution to protect.");
    }

    private bool IsCompromised(int device) => device >= Devices - Compromised;

    /// <summary>The entries device <paramref name="i"/> publishes: its own classes, or for a compromised device the honest
    /// mean of class c + 1 under label c, claimed with <see cref="ClaimedCount"/> examples (a signed, valid entry).</summary>
    private FleetEntry[] EntriesOf(int i, string id, PrototypeMemory memory, double[][] central)
    {
        FleetEntry[] entries = [.. FleetEntryFactory.All(id, memory)];
        if (!IsCompromised(i))
            return entries;
        for (int e = 0; e < entries.Length; e++)
        {
            int c = ClassIndex(entries[e].Label);
            entries[e] = entries[e] with { Count = ClaimedCount, Mean = Array.ConvertAll(central[(c + 1) % Classes], x => (float)x) };
        }
        return entries;
    }

    /// <summary>Classes whose merged prototype lies nearer another class's honest centralised mean than its own.</summary>
    private int CountHijacked(Func<string, float[]?> merged, double[][] central, long[] centralCount)
    {
        int hijacked = 0;
        for (int c = 0; c < Classes; c++)
        {
            if (centralCount[c] == 0 || merged(Label(c)) is not { } m)
                continue;
            int nearest = -1;
            double best = double.PositiveInfinity;
            for (int j = 0; j < Classes; j++)
            {
                if (centralCount[j] == 0)
                    continue;
                double d = 0;
                for (int k = 0; k < Dimension; k++)
                    d += (m[k] - central[j][k]) * (m[k] - central[j][k]);
                if (d < best)
                    (best, nearest) = (d, j);
            }
            if (nearest != c)
                hijacked++;
        }
        return hijacked;
    }

    private static int ClassIndex(string label) => int.Parse(label.AsSpan("class-".Length), System.Globalization.CultureInfo.InvariantCulture);
}
