using EdgeCL.Core.Learning.Adaptation;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Learning;

/// <summary>Name → factory for every learning method, so evaluation and the device resolve methods by name.</summary>
/// <remarks>
/// <para>A new learner (AdaNPC, T3A, the meta adapter, ...) is one <see cref="Register"/> call in
/// <see cref="CreateDefault"/>; nothing that runs or evaluates learners changes.</para>
/// <para>Not thread-safe for registration; lookups from many threads are fine once registration is done.</para>
/// </remarks>
public sealed class LearnerRegistry
{
    private readonly List<LearnerDescriptor> _learners = [];

    /// <summary>Every registered method, in registration order.</summary>
    public IReadOnlyList<LearnerDescriptor> Learners => _learners;

    /// <summary>The registry with every method EdgeCL ships.</summary>
    public static LearnerRegistry CreateDefault()
    {
        var registry = new LearnerRegistry();
        registry.Register(new LearnerDescriptor(NcmLearner.PlainName,
            "nearest class mean, cosine to L2-normalised means, no centring",
            (space, options) => new NcmLearner(space, CentringMode.None, options), NoParameters, Adapts: false));
        registry.Register(new LearnerDescriptor(NcmLearner.CentredName,
            "nearest class mean after centring by the labelled mean (CL2N), the default prototype head",
            (space, options) => new NcmLearner(space, CentringMode.LabelledMean, options), NoParameters, Adapts: false));
        registry.Register(new LearnerDescriptor(KnnLearner.MethodName,
            "k nearest labelled examples, cosine after CL2N centring, majority vote (the 1-NN baseline)",
            (space, options) => new KnnLearner(space, options),
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [KnnLearner.NeighboursKey] = "neighbours that vote (default 1)",
                [KnnLearner.MaxExamplesKey] = "labelled examples kept (default 100000)",
            }, Adapts: false));
        RegisterAdaptation(registry);
        return registry;
    }

    /// <summary>The test-time adaptation learners (issue 4): test-stream centring, AdaNPC, T3A, the meta adapter, and their compositions.</summary>
    private static void RegisterAdaptation(LearnerRegistry registry)
    {
        registry.Register(new LearnerDescriptor(TestCentredNcmLearner.MethodName,
            "nearest class mean with queries centred by a robust running mean of the test stream (feature-statistics TTA)",
            (space, options) => new TestCentredNcmLearner(space, options), TestCentredNcmLearner.Parameters(), Adapts: true));
        registry.Register(new LearnerDescriptor(AdaNpcLearner.MethodName,
            "AdaNPC: bounded cosine kNN over labelled and confident, head-agreeing test embeddings (CL2N features)",
            (space, options) => new AdaNpcLearner(space, options), AdaNpcLearner.Parameters(AdaNpcLearner.MethodName, false), Adapts: true));
        registry.Register(new LearnerDescriptor(AdaNpcLearner.TestCentredName,
            "AdaNPC on test-centred features (test-stream centring + adanpc)",
            (space, options) => new AdaNpcLearner(space, options, TestCentringOptions.From(options, AdaNpcLearner.TestCentredName), AdaNpcLearner.TestCentredName),
            AdaNpcLearner.Parameters(AdaNpcLearner.TestCentredName, true), Adapts: true));
        registry.Register(new LearnerDescriptor(T3aLearner.MethodName,
            "T3A: prototypes adjusted by entropy-filtered supports of confident test embeddings (CL2N features)",
            (space, options) => new T3aLearner(space, options), T3aLearner.Parameters(T3aLearner.MethodName, false), Adapts: true));
        registry.Register(new LearnerDescriptor(T3aLearner.TestCentredName,
            "T3A on test-centred features (test-stream centring + t3a)",
            (space, options) => new T3aLearner(space, options, TestCentringOptions.From(options, T3aLearner.TestCentredName), T3aLearner.TestCentredName),
            T3aLearner.Parameters(T3aLearner.TestCentredName, true), Adapts: true));
        registry.Register(new LearnerDescriptor(MetaAdapterLearner.MethodName,
            "EcoTTA-style residual adapter z' = z + g(z) on the embedding, EATA-weighted entropy + L1 to the frozen embedding",
            (space, options) => new MetaAdapterLearner(space, options), MetaAdapterLearner.Parameters(MetaAdapterLearner.MethodName, false), Adapts: true));
        registry.Register(new LearnerDescriptor(MetaAdapterLearner.TestCentredName,
            "meta adapter on test-centred features (test-stream centring + meta-adapter)",
            (space, options) => new MetaAdapterLearner(space, options, TestCentringOptions.From(options, MetaAdapterLearner.TestCentredName), MetaAdapterLearner.TestCentredName),
            MetaAdapterLearner.Parameters(MetaAdapterLearner.TestCentredName, true), Adapts: true));
        registry.Register(new LearnerDescriptor(LameLearner.MethodName,
            "LAME: the prototype head's probabilities corrected by their k nearest neighbours among recent samples (gradient-free, for label-correlated streams)",
            (space, options) => new LameLearner(space, options), LameLearner.Parameters(LameLearner.MethodName, false), Adapts: true));
        registry.Register(new LearnerDescriptor(LameLearner.TestCentredName,
            "LAME on test-centred features (test-stream centring with shift detection + lame)",
            (space, options) => new LameLearner(space, options, TestCentringOptions.From(options, LameLearner.TestCentredName), LameLearner.TestCentredName),
            LameLearner.Parameters(LameLearner.TestCentredName, true), Adapts: true));
    }

    private static IReadOnlyDictionary<string, string> NoParameters { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Adds a method.</summary>
    /// <exception cref="ArgumentException">The name is malformed or already registered.</exception>
    public void Register(LearnerDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (string.IsNullOrEmpty(descriptor.Name) || !IsValidName(descriptor.Name))
            throw new ArgumentException($"Learner name '{descriptor.Name}' must be lower-case letters, digits and '-'.", nameof(descriptor));
        if (TryGet(descriptor.Name, out _))
            throw new ArgumentException($"A learner named '{descriptor.Name}' is already registered.", nameof(descriptor));
        foreach (string key in descriptor.Parameters.Keys)
            if (!key.StartsWith(descriptor.Name + ".", StringComparison.Ordinal))
                throw new ArgumentException($"Learner '{descriptor.Name}' declares parameter '{key}'; parameters must be named '{descriptor.Name}.<key>'.", nameof(descriptor));
        _learners.Add(descriptor);
    }

    /// <summary>Finds a method by name.</summary>
    public bool TryGet(string name, out LearnerDescriptor descriptor)
    {
        foreach (LearnerDescriptor d in _learners)
        {
            if (d.Name == name)
            {
                descriptor = d;
                return true;
            }
        }
        descriptor = null!;
        return false;
    }

    /// <summary>Finds a method by name.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public LearnerDescriptor Get(string name) => TryGet(name, out LearnerDescriptor d) ? d
        : throw new ArgumentException($"Unknown method '{name}'; known methods: {string.Join(", ", Names())}.");

    /// <summary>Checks names and parameter keys before any work starts.</summary>
    /// <exception cref="ArgumentException">An unknown method or parameter; the message lists the known ones.</exception>
    public void Validate(IEnumerable<string> names, LearnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        foreach (string name in names)
            Get(name);
        foreach (string key in options.Parameters.Keys)
        {
            bool known = false;
            foreach (LearnerDescriptor d in _learners)
                known |= d.Parameters.ContainsKey(key);
            if (!known)
            {
                var all = _learners.SelectMany(d => d.Parameters.Keys).ToList();
                throw new ArgumentException($"Unknown parameter '{key}'; known parameters: {(all.Count == 0 ? "none" : string.Join(", ", all))}.");
            }
        }
    }

    /// <summary>Creates a fresh learner by name.</summary>
    /// <exception cref="ArgumentException">Unknown name (the message lists the known ones) or a bad parameter.</exception>
    public IStreamLearner Create(string name, EmbeddingSpace space, LearnerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(space);
        options ??= LearnerOptions.Default;
        options.Validate();
        return Get(name).Factory(space, options);
    }

    /// <summary>The registered names, in order.</summary>
    public IReadOnlyList<string> Names() => _learners.Select(d => d.Name).ToList();

    private static bool IsValidName(string name)
    {
        foreach (char c in name)
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
                return false;
        return true;
    }
}
