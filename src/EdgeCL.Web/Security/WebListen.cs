using EdgeCL.Core.Security;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using EdgeCL.Device.Config;

namespace EdgeCL.Web.Security;

/// <summary>The page's listen address and what it requires: loopback is open to this machine; anything else needs TLS and users.</summary>
public static class WebListen
{
    /// <summary>Parses <c>ADDR:PORT</c> (<c>[v6]:PORT</c>, <c>localhost:PORT</c>); null for <c>off</c>.</summary>
    /// <exception cref="FormatException">Not an address and port.</exception>
    public static IPEndPoint? Parse(string listen)
    {
        if (string.Equals(listen, "off", StringComparison.OrdinalIgnoreCase))
            return null;
        int colon = listen.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(listen.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
            throw new FormatException($"'{listen}' is not ADDR:PORT (e.g. 127.0.0.1:8080) or 'off'");
        string host = listen[..colon].Trim('[', ']');
        IPAddress address = host == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(host, out IPAddress? parsed) ? parsed
            : throw new FormatException($"'{host}' in '{listen}' is not an IP address (a name would depend on DNS at start-up); use e.g. 127.0.0.1 or 0.0.0.0");
        return new IPEndPoint(address, port);
    }

    /// <summary>Validates <paramref name="web"/>, reads its TLS files and binds through <paramref name="create"/>; null for <c>off</c>.
    /// Shared by the device page and the fleet page, so both refuse the same things the same way.</summary>
    /// <exception cref="InvalidOperationException">A mistake in the settings, the address cannot be bound, or the TLS files cannot be read; one line.</exception>
    internal static T? Open<T>(WebSettings web, Func<string, string> resolve, string what, Func<IPEndPoint, X509Certificate2?, T> create) where T : class
    {
        ArgumentNullException.ThrowIfNull(web);
        if (Validate(web, resolve).FirstOrDefault() is { } problem)
            throw new InvalidOperationException(problem);
        IPEndPoint? endpoint = Parse(web.Listen);
        if (endpoint is null)
            return null;
        X509Certificate2? certificate = null;
        try
        {
            if (web.TlsCert is { } cert && web.TlsKey is { } key)
                certificate = X509Certificate2.CreateFromPemFile(resolve(cert), resolve(key));
            return create(endpoint, certificate);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
        {
            certificate?.Dispose();
            throw new InvalidOperationException($"{what} on {web.Listen} cannot start: {ex.Message.Split('\n')[0]}");
        }
    }

    /// <summary>ADDR:PORT as a browser writes it (IPv6 in brackets).</summary>
    public static string Format(IPEndPoint endpoint) => endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]:{endpoint.Port}" : endpoint.ToString();

    /// <summary>Every mistake in <paramref name="web"/>, one line each (what <c>edgecl run --check</c> prints).</summary>
    public static IEnumerable<string> Validate(WebSettings? web, Func<string, string> resolve)
    {
        if (web is null)
            yield break;
        IPEndPoint? endpoint;
        string? parseError = null;
        try
        {
            endpoint = Parse(web.Listen);
        }
        catch (FormatException ex)
        {
            endpoint = null;
            parseError = ex.Message;
        }
        if (parseError is not null)
        {
            yield return $"web.listen {parseError}.";
            yield break;
        }
        if (endpoint is null)
            yield break;
        if (web.MaxUploadBytes is < 1024 or > 256 << 20)
            yield return $"web.max_upload_bytes {web.MaxUploadBytes} is out of range 1024..{256 << 20}.";
        bool tls = web.TlsCert is not null && web.TlsKey is not null;
        if (!IPAddress.IsLoopback(endpoint.Address) && (!tls || web.Users.Count == 0))
        {
            yield return $"web.listen {web.Listen} is not a loopback address: a page reachable from the network needs web.tls_cert, web.tls_key and at least one of web.users (with a password_hash from 'edgecl hash-password'); otherwise listen on 127.0.0.1.";
            yield break;
        }
        if ((web.TlsCert is null) != (web.TlsKey is null))
            yield return "web.tls_cert and web.tls_key go together; give both or neither.";
        foreach (string? file in new[] { web.TlsCert, web.TlsKey })
            if (file is not null && !File.Exists(resolve(file)))
                yield return $"web TLS file '{resolve(file)}' does not exist.";
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (WebUserSettings user in web.Users)
        {
            if (user.Name is not { Length: > 0 } name || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
                yield return $"web.users: name '{user.Name}' must be [A-Za-z0-9._-]+.";
            else if (!names.Add(name))
                yield return $"web.users: '{name}' appears twice.";
            if (user.Role is not ("admin" or "read"))
                yield return $"web.users '{user.Name}': role '{user.Role}' is neither 'admin' nor 'read'.";
            if (PasswordHash.Problem(user.PasswordHash) is { } problem)
                yield return $"web.users '{user.Name}': password_hash {problem}.";
        }
    }
}
