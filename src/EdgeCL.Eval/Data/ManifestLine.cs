namespace EdgeCL.Eval.Data;

/// <summary>One line of a stream manifest (JSON Lines).</summary>
/// <remarks>
/// <code>{"path": "clips/yes_01.wav", "label": "yes", "domain": "kitchen", "labelled": true}</code>
/// <c>path</c> (relative to the manifest) and <c>label</c> are required. <c>labelled</c> (default false) gives the
/// label to the learner; <c>heldout</c> (default false) puts the line in a held-out evaluation set instead of the
/// stream; <c>shift</c> applies a synthetic shift (e.g. <c>white:10</c>) and names the domain when <c>domain</c>
/// is absent; <c>task</c> (optional, non-decreasing) groups steps into tasks, otherwise a task starts whenever the
/// domain changes.
/// </remarks>
public sealed record ManifestLine
{
    /// <summary>File path, relative to the manifest's folder (or absolute).</summary>
    public string? Path { get; init; }

    /// <summary>True class.</summary>
    public string? Label { get; init; }

    /// <summary>Domain name for reporting (never shown to learners).</summary>
    public string? Domain { get; init; }

    /// <summary>Whether the learner gets the label.</summary>
    public bool? Labelled { get; init; }

    /// <summary>Whether this is a held-out evaluation sample rather than a stream step.</summary>
    public bool? Heldout { get; init; }

    /// <summary>A synthetic shift to apply (see <c>--shifts</c>).</summary>
    public string? Shift { get; init; }

    /// <summary>Task index (optional).</summary>
    public int? Task { get; init; }
}
