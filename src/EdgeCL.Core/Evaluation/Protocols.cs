using System.Globalization;

namespace EdgeCL.Core.Evaluation;

/// <summary>Builds evaluation streams from a dataset description: class-incremental few-shot, continual domain
/// shift (continual test-time adaptation), episodic (the same with a reset per condition) and mixed
/// (algorithms.md §5, §7); optionally in label-correlated order (<see cref="LabelCorrelation"/>).</summary>
/// <remarks>
/// <para>Pure: the dataset is described by items (index, label, domain) and every random choice comes from
/// <see cref="ProtocolOptions.Seed"/>, so the same inputs give the same stream everywhere.</para>
/// <para>Labelled shots come from the source domain (index 0). Target items (the separate test pool when given,
/// otherwise whatever the shots left) are split per class into a held-out part (evaluation sets) and a streamed
/// part (unlabelled steps). The split is by item, so an item held out in one domain is held out in all.</para>
/// </remarks>
public static class Protocols
{
    /// <summary>Builds the stream.</summary>
    /// <param name="pool">Items labelled shots are drawn from (and, without <paramref name="test"/>, the target items).</param>
    /// <param name="test">A separate target pool (e.g. unseen speakers), or null.</param>
    /// <param name="domains">Domain names; index 0 is the source domain (clean).</param>
    /// <param name="streamDomains">Domain indices the stream visits, in order.</param>
    /// <param name="options">Protocol settings.</param>
    /// <exception cref="ArgumentException">Bad options, k larger than a class's labelled samples, or a domain list
    /// the protocol cannot use; the message names the class or option and the fix.</exception>
    public static EvaluationStream Build(IReadOnlyList<ProtocolItem> pool, IReadOnlyList<ProtocolItem>? test,
        IReadOnlyList<string> domains, IReadOnlyList<int> streamDomains, ProtocolOptions options)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(domains);
        ArgumentNullException.ThrowIfNull(streamDomains);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (domains.Count == 0)
            throw new ArgumentException("At least one domain (the source) is needed.");
        if (streamDomains.Count == 0)
            throw new ArgumentException("The stream visits no domain; give at least one shift or domain.");
        foreach (int d in streamDomains)
            if (d < 0 || d >= domains.Count)
                throw new ArgumentException($"Stream domain index {d} is out of range 0..{domains.Count - 1}.");
        if (options.Kind == ProtocolKind.ClassIncremental && streamDomains.Distinct().Count() > 1)
            throw new ArgumentException("The class-incremental protocol runs in one domain; use --protocol domain or mixed for shifts.");
        bool conditions = options.Kind is ProtocolKind.DomainShift or ProtocolKind.Episodic;
        if (!conditions && options.Rounds != 1)
            throw new ArgumentException("--rounds applies to the continual and episodic protocols only.");
        if (options.Kind == ProtocolKind.Episodic && streamDomains.Count * options.Rounds < 2)
            throw new ArgumentException("The episodic protocol resets at condition boundaries and needs at least two conditions; give --shifts with two or more (e.g. clean,white:10).");

        var builder = new Builder(domains, options.Seed, options.Correlation);
        // Classes in ordinal order, so the seed alone decides the task order.
        string[] classes = pool.Select(p => p.Label).Distinct().Order(StringComparer.Ordinal).ToArray();
        if (classes.Length == 0)
            throw new ArgumentException("The dataset has no classes.");
        if (test is not null)
            foreach (string label in test.Select(t => t.Label).Distinct())
                if (Array.BinarySearch(classes, label, StringComparer.Ordinal) < 0)
                    throw new ArgumentException($"The test set has class '{label}', which the labelled data lacks; every test class needs labelled examples.");

        // 1. Support draw: k items per class from the source domain.
        var shots = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var shotItems = new HashSet<int>();
        var drawRandom = new DeterministicRandom(DeterministicRandom.Derive(options.Seed, "support"));
        foreach (string c in classes)
        {
            var candidates = pool.Where(p => p.Label == c && p.IsIn(0)).Select(p => p.Item).Distinct().Order().ToList();
            if (candidates.Count < options.Shots)
                throw new ArgumentException(
                    $"Class '{c}' has {candidates.Count} labelled sample(s) in the source domain '{domains[0]}' but --shots is {options.Shots}; lower --shots or add samples.");
            drawRandom.Shuffle(candidates);
            shots[c] = candidates.GetRange(0, options.Shots);
            shotItems.UnionWith(shots[c]);
        }

        // 2. Target items: the test pool, or what the shots left; split per class into held-out and streamed items.
        IEnumerable<ProtocolItem> targetSource = test ?? pool.Where(p => !shotItems.Contains(p.Item));
        var heldOut = new Dictionary<string, List<ProtocolItem>>(StringComparer.Ordinal);
        var streamed = new Dictionary<string, List<ProtocolItem>>(StringComparer.Ordinal);
        var splitRandom = new DeterministicRandom(DeterministicRandom.Derive(options.Seed, "holdout"));
        foreach (string c in classes)
        {
            var items = targetSource.Where(p => p.Label == c).OrderBy(p => p.Item).ThenBy(p => p.Domain).ToList();
            var distinct = items.Select(p => p.Item).Distinct().ToList();
            splitRandom.Shuffle(distinct);
            int hold = options.Holdout == 0 || distinct.Count == 0 ? 0 : Math.Max(1, (int)Math.Round(options.Holdout * distinct.Count));
            var held = new HashSet<int>(distinct.Take(hold));
            heldOut[c] = options.Holdout == 0 ? items : items.Where(p => held.Contains(p.Item)).ToList();
            streamed[c] = items.Where(p => !held.Contains(p.Item)).ToList();
        }

        return options.Kind switch
        {
            ProtocolKind.DomainShift or ProtocolKind.Episodic => DomainShift(builder, classes, shots, heldOut, streamed, streamDomains, options),
            ProtocolKind.ClassIncremental => ClassIncremental(builder, classes, shots, heldOut, streamed, streamDomains, options, mixed: false),
            _ => ClassIncremental(builder, classes, shots, heldOut, streamed, streamDomains, options, mixed: true),
        };
    }

    private static EvaluationStream DomainShift(Builder b, string[] classes, Dictionary<string, List<int>> shots,
        Dictionary<string, List<ProtocolItem>> heldOut, Dictionary<string, List<ProtocolItem>> streamed,
        IReadOnlyList<int> streamDomains, ProtocolOptions options)
    {
        int task = b.AddTask("support");
        b.AddLabelled(classes, shots, task, "support");
        // The source domain's held-out set is always evaluated from the start (EATA's forgetting check).
        var firstTaskOfDomain = new Dictionary<int, int> { [0] = 0 };
        for (int round = 1; round <= options.Rounds; round++)
        {
            for (int i = 0; i < streamDomains.Count; i++)
            {
                int d = streamDomains[i];
                string name = options.Rounds > 1 ? $"{b.Domains[d]}#{round}" : b.Domains[d];
                task = b.AddTask(name);
                firstTaskOfDomain.TryAdd(d, task);
                var items = classes.SelectMany(c => streamed[c]).Where(p => p.IsIn(d)).ToList();
                b.AddUnlabelled(items, d, task, $"stream/{round}/{i}", options.Correlation);
            }
        }
        foreach (var (d, firstTask) in firstTaskOfDomain.OrderBy(kv => kv.Value).ThenBy(kv => kv.Key))
        {
            var items = classes.SelectMany(c => heldOut[c]).Where(p => p.IsIn(d)).ToList();
            if (items.Count > 0 || d != 0)
                b.AddSet(b.Domains[d], firstTask, d, items);
        }
        return b.Finish(options.Kind);
    }

    private static EvaluationStream ClassIncremental(Builder b, string[] classes, Dictionary<string, List<int>> shots,
        Dictionary<string, List<ProtocolItem>> heldOut, Dictionary<string, List<ProtocolItem>> streamed,
        IReadOnlyList<int> streamDomains, ProtocolOptions options, bool mixed)
    {
        var order = classes.ToList();
        new DeterministicRandom(DeterministicRandom.Derive(options.Seed, "class-order")).Shuffle(order);
        int taskCount = options.Tasks == 0 ? (order.Count + 1) / 2 : options.Tasks;
        if (taskCount > order.Count)
            throw new ArgumentException($"--tasks {taskCount} is more than the {order.Count} classes; each task needs at least one class.");
        var seen = new List<string>();
        int start = 0;
        for (int t = 0; t < taskCount; t++)
        {
            int size = order.Count / taskCount + (t < order.Count % taskCount ? 1 : 0);
            string[] taskClasses = order.GetRange(start, size).Order(StringComparer.Ordinal).ToArray();
            start += size;
            seen.AddRange(taskClasses);
            int d = mixed ? streamDomains[t % streamDomains.Count] : streamDomains[0];
            string name = mixed
                ? string.Create(CultureInfo.InvariantCulture, $"task {t + 1} ({string.Join(" ", taskClasses)}) @ {b.Domains[d]}")
                : string.Create(CultureInfo.InvariantCulture, $"task {t + 1} ({string.Join(" ", taskClasses)})");
            int task = b.AddTask(name);
            b.AddLabelled(taskClasses, shots, task, $"support/{t}");
            IEnumerable<string> streamClasses = mixed ? seen : taskClasses;
            var items = streamClasses.SelectMany(c => streamed[c]).Where(p => p.IsIn(d)).ToList();
            b.AddUnlabelled(items, d, task, $"stream/{t}", options.Correlation);
            var held = taskClasses.SelectMany(c => heldOut[c]).Where(p => p.IsIn(d)).ToList();
            b.AddSet(name, task, d, held);
        }
        return b.Finish(options.Kind);
    }

    /// <summary>Accumulates samples, steps, tasks and sets.</summary>
    private sealed class Builder(IReadOnlyList<string> domains, long seed, double correlation)
    {
        private readonly Dictionary<(int Item, int Domain), int> _sampleIds = [];
        private readonly List<StreamSample> _samples = [];
        private readonly List<StreamStep> _steps = [];
        private readonly List<string> _tasks = [];
        private readonly List<EvaluationSet> _sets = [];

        public IReadOnlyList<string> Domains => domains;

        public int AddTask(string name)
        {
            _tasks.Add(name);
            return _tasks.Count - 1;
        }

        public void AddLabelled(IEnumerable<string> classes, Dictionary<string, List<int>> shots, int task, string purpose)
        {
            var steps = new List<int>();
            foreach (string c in classes)
                foreach (int item in shots[c])
                    steps.Add(Sample(item, 0, c));
            new DeterministicRandom(DeterministicRandom.Derive(seed, purpose)).Shuffle(steps);
            foreach (int s in steps)
                _steps.Add(new StreamStep(s, Labelled: true, task));
        }

        public void AddUnlabelled(List<ProtocolItem> items, int domain, int task, string purpose, double correlation)
        {
            var random = new DeterministicRandom(DeterministicRandom.Derive(seed, purpose));
            List<int> steps;
            if (correlation > 0)
            {
                steps = LabelCorrelation.Order(items, p => p.Label, correlation, random).Select(p => Sample(p.Item, domain, p.Label)).ToList();
            }
            else
            {
                steps = items.Select(p => Sample(p.Item, domain, p.Label)).ToList();
                random.Shuffle(steps);
            }
            foreach (int s in steps)
                _steps.Add(new StreamStep(s, Labelled: false, task));
        }

        public void AddSet(string name, int task, int domain, List<ProtocolItem> items) =>
            _sets.Add(new EvaluationSet(name, task, domain, items.Select(p => Sample(p.Item, domain, p.Label)).ToList()));

        public EvaluationStream Finish(ProtocolKind kind)
        {
            var stream = new EvaluationStream
            {
                Protocol = kind switch
                {
                    ProtocolKind.ClassIncremental => "class-incremental",
                    ProtocolKind.DomainShift => "continual",
                    ProtocolKind.Episodic => "episodic",
                    _ => "mixed",
                },
                Seed = seed,
                Domains = domains,
                Tasks = _tasks,
                Samples = _samples,
                Steps = _steps,
                Sets = _sets,
                ResetAtTaskStart = kind == ProtocolKind.Episodic,
                Correlation = correlation,
            };
            stream.Validate();
            return stream;
        }

        private int Sample(int item, int domain, string label)
        {
            if (!_sampleIds.TryGetValue((item, domain), out int id))
            {
                id = _samples.Count;
                _samples.Add(new StreamSample(item, domain, label));
                _sampleIds[(item, domain)] = id;
            }
            return id;
        }
    }
}
