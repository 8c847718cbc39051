namespace EdgeCL.Sync.Client;

/// <summary>Where the broker is and how to authenticate to it.</summary>
/// <remarks>
/// Two ways to authenticate (design.md §3, Trust): TLS with the fleet CA and a client certificate whose CN is the device
/// id (mosquitto's <c>use_identity_as_username</c>), or a user name and password (the embedded broker, or mosquitto's
/// <c>password_file</c>). The user name must equal the device id so the broker's per-device ACL applies.
/// </remarks>
public sealed record FleetBrokerOptions
{
    /// <summary>Host name or address of the broker.</summary>
    public required string Host { get; init; }

    /// <summary>TCP port (1883 plain, 8883 TLS by convention).</summary>
    public required int Port { get; init; }

    /// <summary>Connect with TLS. Implied by <see cref="CaCertificatePath"/> or <see cref="ClientCertificatePath"/>.</summary>
    public bool UseTls { get; init; }

    /// <summary>PEM file of the fleet CA that signed the broker's certificate; null trusts the system store.</summary>
    public string? CaCertificatePath { get; init; }

    /// <summary>PEM file of this device's client certificate.</summary>
    public string? ClientCertificatePath { get; init; }

    /// <summary>PEM file of the client certificate's private key (unencrypted PKCS#8 or SEC1).</summary>
    public string? ClientKeyPath { get; init; }

    /// <summary>Host name the broker's certificate must carry; defaults to <see cref="Host"/>.</summary>
    public string? TlsServerName { get; init; }

    /// <summary>User name (the device id); null when the certificate identifies the device.</summary>
    public string? UserName { get; init; }

    /// <summary>Password for <see cref="UserName"/>.</summary>
    public string? Password { get; init; }

    /// <summary>Whether the connection is encrypted.</summary>
    public bool IsTls => UseTls || CaCertificatePath is not null || ClientCertificatePath is not null;

    /// <summary>Parses <c>mqtt://host:port</c> or <c>mqtts://host:port</c> (default ports 1883 / 8883).</summary>
    /// <exception cref="ArgumentException">The text is not such a URI.</exception>
    public static FleetBrokerOptions Parse(string uri)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        if (!Uri.TryCreate(uri, UriKind.Absolute, out Uri? parsed) || parsed.Scheme is not ("mqtt" or "mqtts") || string.IsNullOrEmpty(parsed.Host))
            throw new ArgumentException($"Broker '{uri}' is not a broker URI; use mqtt://host:port or mqtts://host:port.");
        bool tls = parsed.Scheme == "mqtts";
        int port = parsed.IsDefaultPort || parsed.Port < 0 ? (tls ? 8883 : 1883) : parsed.Port;
        return new FleetBrokerOptions { Host = parsed.IdnHost, Port = port, UseTls = tls };
    }

    /// <summary>Checks ports, and that TLS files come in pairs and exist.</summary>
    /// <exception cref="ArgumentException">A setting is out of range or a file is missing.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host))
            throw new ArgumentException("Broker host is empty; give a host name or address such as 127.0.0.1.");
        if (Port is < 1 or > 65535)
            throw new ArgumentException($"Broker port {Port} is out of range 1..65535.");
        if ((ClientCertificatePath is null) != (ClientKeyPath is null))
            throw new ArgumentException("A client certificate needs its key and a key needs its certificate; set both ClientCertificatePath and ClientKeyPath.");
        foreach (string? path in new[] { CaCertificatePath, ClientCertificatePath, ClientKeyPath })
            if (path is not null && !File.Exists(path))
                throw new ArgumentException($"TLS file '{path}' does not exist; create the fleet PKI with ops/mosquitto/make-certs.sh.");
        if (Password is not null && UserName is null)
            throw new ArgumentException("A password needs a user name (the device id).");
    }
}
