using System.Net;

namespace EdgeCL.Sync.Broker;

/// <summary>Settings of an <see cref="EmbeddedBroker"/>.</summary>
public sealed record EmbeddedBrokerOptions
{
    /// <summary>TCP port; 0 picks a free one (read it back from <see cref="EmbeddedBroker.Port"/>). Default 1883.</summary>
    public int Port { get; init; } = 1883;

    /// <summary>Address to listen on. Default loopback: a device's broker is not reachable from the network unless asked.</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;

    /// <summary>Accounts; a client must log in with one of them. Empty means nobody can connect.</summary>
    public IReadOnlyList<BrokerUser> Users { get; init; } = [];

    /// <summary>Folder for <c>retained.bin</c>; null keeps retained messages in memory only.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Largest accepted payload; bigger publishes are refused. Default 1 MiB (EMQX's default packet limit).</summary>
    public int MaxPayloadBytes { get; init; } = 1 << 20;

    /// <summary>Longest time a retained change waits before it is written to disk (changes in between are batched). Default 200 ms.</summary>
    public TimeSpan PersistDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>PEM server certificate; with <see cref="TlsKeyPath"/> the broker listens with TLS only (1.2/1.3) on <see cref="Port"/>. Null: plain TCP.</summary>
    public string? TlsCertificatePath { get; init; }

    /// <summary>PEM private key of <see cref="TlsCertificatePath"/> (unencrypted PKCS#8 or SEC1).</summary>
    public string? TlsKeyPath { get; init; }

    /// <summary>
    /// PEM fleet CA for client certificates (needs TLS). When set, a client may log in with a certificate issued by this
    /// CA instead of a password; its CN is its user name (mosquitto's <c>use_identity_as_username</c>). A client without
    /// a certificate still needs a password.
    /// </summary>
    public string? ClientCaPath { get; init; }

    /// <summary>
    /// Conformance testing only (Eclipse Paho's interoperability suites, ops/mqtt/paho-interop.sh): anonymous logins, any
    /// client id, no fleet ACL and no content rules, so the protocol alone is tested. Loopback only; never on a fleet.
    /// </summary>
    public bool OpenForTesting { get; init; }

    /// <summary>Whether the broker listens with TLS.</summary>
    public bool IsTls => TlsCertificatePath is not null;

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentException">A setting is out of range or a user name repeats.</exception>
    public void Validate()
    {
        if (Port is < 0 or > 65535)
            throw new ArgumentException($"Broker port {Port} is out of range 0..65535 (0 = pick a free port).");
        ArgumentNullException.ThrowIfNull(BindAddress);
        ArgumentNullException.ThrowIfNull(Users);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (BrokerUser user in Users)
        {
            Topics.TopicSegment.EnsureIdentifier(user.Name, "Broker user name");
            if (!names.Add(user.Name))
                throw new ArgumentException($"Broker user '{user.Name}' is listed twice; each user appears once.");
        }
        if (OpenForTesting && !IPAddress.IsLoopback(BindAddress))
            throw new ArgumentException($"The open test mode accepts anyone and checks nothing, so it listens on loopback only, not {BindAddress}.");
        if (OpenForTesting && (Users.Count > 0 || TlsCertificatePath is not null))
            throw new ArgumentException("The open test mode has no users and no TLS; run it without them.");
        if (MaxPayloadBytes < 1024)
            throw new ArgumentException($"MaxPayloadBytes {MaxPayloadBytes} is below 1024.");
        if (PersistDelay < TimeSpan.Zero)
            throw new ArgumentException($"PersistDelay {PersistDelay} must be >= 0.");
        if ((TlsCertificatePath is null) != (TlsKeyPath is null))
            throw new ArgumentException("A TLS certificate needs its key and a key its certificate; pass both (broker.crt and broker.key from ops/mosquitto/make-certs.sh).");
        if (ClientCaPath is not null && TlsCertificatePath is null)
            throw new ArgumentException("Client certificates need TLS; pass the broker's certificate and key as well.");
        foreach (string? path in new[] { TlsCertificatePath, TlsKeyPath, ClientCaPath })
            if (path is not null && !File.Exists(path))
                throw new ArgumentException($"TLS file '{path}' does not exist; create the fleet PKI with ops/mosquitto/make-certs.sh.");
    }
}
