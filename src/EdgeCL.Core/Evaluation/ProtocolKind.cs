namespace EdgeCL.Core.Evaluation;

/// <summary>How a stream is built from a dataset (algorithms.md §5, §7).</summary>
public enum ProtocolKind
{
    /// <summary>Classes arrive in tasks, k labelled shots each; the rest of each class is unlabelled stream or held out.</summary>
    ClassIncremental,

    /// <summary>All classes are taught from k shots in the source domain, then unlabelled samples arrive domain after
    /// domain, optionally for several rounds, with one learner and no reset (<c>continual</c>, alias <c>domain</c>:
    /// continual test-time adaptation, the CoTTA protocol).</summary>
    DomainShift,

    /// <summary>The same stream as <see cref="DomainShift"/>, but the learner is reset at every condition boundary
    /// (<c>episodic</c>: the reset oracle, and the per-condition protocol with the support taught once).</summary>
    Episodic,

    /// <summary>New classes and shifts interleaved: task t teaches its classes, then streams every seen class under
    /// the t-th domain (cycling through the domains).</summary>
    Mixed,
}
