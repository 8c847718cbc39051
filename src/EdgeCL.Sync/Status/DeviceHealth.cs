namespace EdgeCL.Sync.Status;

/// <summary>What a running agent reports about itself in its retained status (and in its local status file).</summary>
/// <remarks>Kept small: the whole status payload must stay under 4 KiB (<see cref="DeviceStatus.TryParse"/>).</remarks>
public sealed record DeviceHealth
{
    /// <summary>The agent's version (the <c>edgecl</c> build that runs).</summary>
    public string? Version { get; init; }

    /// <summary>Backbone name, e.g. <c>speech</c>.</summary>
    public string? Model { get; init; }

    /// <summary>Set only while a <c>new_backbone</c> command's choice (<c>state_dir/backbone.override</c>) overrides the config:
    /// the config's backbone.</summary>
    public string? ConfigModel { get; init; }

    /// <summary>Commands this device verified but refused since it started, id (nonce) → one-line reason, the latest few:
    /// the negative acknowledgement (the id is also in <see cref="DeviceStatus.Acked"/>, which only says it was handled).</summary>
    public IReadOnlyDictionary<string, string>? Refused { get; init; }

    /// <summary>The execution provider the backbone runs on.</summary>
    public string? Provider { get; init; }

    /// <summary>Embedding dimension.</summary>
    public int Dimension { get; init; }

    /// <summary>The learner (classifier head) name.</summary>
    public string? Learner { get; init; }

    /// <summary>Classes this device taught itself.</summary>
    public int OwnClasses { get; init; }

    /// <summary>Classes in the merged fleet view the device recognises.</summary>
    public int FleetClasses { get; init; }

    /// <summary><c>adapting</c>, <c>warming-up</c>, <c>fallback</c> (static head after a health trip), or <c>off</c>.</summary>
    public string? Adaptation { get; init; }

    /// <summary>Adaptation resets (commands and health trips).</summary>
    public long AdaptationResets { get; init; }

    /// <summary>Class being taught, if a teaching session is open.</summary>
    public string? Teaching { get; init; }

    /// <summary>Samples recognised.</summary>
    public long Recognised { get; init; }

    /// <summary>Labelled examples durably learned.</summary>
    public long Learned { get; init; }

    /// <summary>Rejected inputs by reason (e.g. <c>decode</c>, <c>nan</c>, <c>store</c>, <c>unknown-class</c>).</summary>
    public IReadOnlyDictionary<string, long>? Rejected { get; init; }

    /// <summary>MQTT messages dropped by reason (forged, malformed, wrong space, ...).</summary>
    public IReadOnlyDictionary<string, long>? Dropped { get; init; }

    /// <summary>Outbox rows not yet acknowledged by the broker.</summary>
    public long PendingOutbox { get; init; }

    /// <summary>Whether the broker connection is up.</summary>
    public bool Connected { get; init; }

    /// <summary>Sources running / configured, e.g. <c>2/2</c>.</summary>
    public string? Sources { get; init; }

    /// <summary>Seconds since the agent started.</summary>
    public long UptimeSeconds { get; init; }

    /// <summary>Resident memory of the agent in bytes.</summary>
    public long RssBytes { get; init; }

    /// <summary>The last error, one line, if any since start.</summary>
    public string? LastError { get; init; }
}
