namespace EdgeCL.Device.Config;

/// <summary>The device page served by <c>edgecl run</c> (absent = no page). Loopback by default; any other address needs
/// TLS and at least one user (checked by <c>edgecl run --check</c>).</summary>
public sealed class WebSettings
{
    /// <summary><c>ADDR:PORT</c> (e.g. <c>127.0.0.1:8080</c>, <c>[::1]:8080</c>, <c>0.0.0.0:8443</c>), or <c>off</c>.</summary>
    public string Listen { get; set; } = "127.0.0.1:8080";

    /// <summary>TLS certificate (PEM); required off loopback.</summary>
    public string? TlsCert { get; set; }

    /// <summary>TLS private key (PEM) of <see cref="TlsCert"/>.</summary>
    public string? TlsKey { get; set; }

    /// <summary>Who may open the page (HTTP Basic over TLS). Empty on loopback = anyone on this machine is admin.</summary>
    public IReadOnlyList<WebUserSettings> Users { get; set; } = [];

    /// <summary>Largest uploaded example file, in bytes.</summary>
    public int MaxUploadBytes { get; set; } = 8 << 20;
}

/// <summary>A page user: a name, a role and a password hash (<c>edgecl hash-password</c> makes one; never a clear password).</summary>
public sealed class WebUserSettings
{
    /// <summary>User name ([A-Za-z0-9._-]).</summary>
    public string? Name { get; set; }

    /// <summary><c>admin</c> (may teach, upload, forget, correct, reset) or <c>read</c> (may only look).</summary>
    public string Role { get; set; } = "read";

    /// <summary><c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c> (base64 salt and hash).</summary>
    public string? PasswordHash { get; set; }
}
