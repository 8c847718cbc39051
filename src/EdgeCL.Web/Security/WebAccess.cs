using EdgeCL.Core.Security;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using EdgeCL.Device.Config;
using EdgeCL.Web.Http;

namespace EdgeCL.Web.Security;

/// <summary>Who may do what on the page. Loopback without users: anyone on this machine is admin, but only through a
/// loopback Host name (a DNS-rebinding page cannot pass). With users: HTTP Basic, checked against PBKDF2 hashes. Every
/// action additionally needs a same-origin request carrying the page's CSRF token.</summary>
internal sealed class WebAccess(WebSettings web, int port)
{
    public const string TokenHeader = "X-EdgeCL-Token";
    private static readonly TimeSpan CacheTime = TimeSpan.FromMinutes(5);
    private readonly ConcurrentDictionary<string, (WebUserSettings User, DateTime Expires)> _verified = new(StringComparer.Ordinal);
    private readonly byte[] _token = Encoding.ASCII.GetBytes(Convert.ToHexString(RandomNumberGenerator.GetBytes(24)));

    /// <summary>The CSRF token the page sends back with every action (only a same-origin page can read it).</summary>
    public string Token => Encoding.ASCII.GetString(_token);

    /// <summary>The caller's name and whether they are admin, or the refusal to send.</summary>
    public (string User, bool Admin, HttpResponse? Refusal) Authenticate(HttpRequest request)
    {
        if (web.Users.Count == 0)
        {
            string host = request.Header("Host") ?? "";
            bool loopbackHost = host == $"127.0.0.1:{port}" || host == $"localhost:{port}" || host == $"[::1]:{port}";
            return loopbackHost ? ("local", true, null)
                : ("-", false, HttpResponse.Text(421, $"Host '{host}' is not this device's loopback address; open http://127.0.0.1:{port}/"));
        }
        var challenge = new[] { new KeyValuePair<string, string>("WWW-Authenticate", "Basic realm=\"edgecl\", charset=\"UTF-8\"") };
        string? header = request.Header("Authorization");
        if (header is null || !header.StartsWith("Basic ", StringComparison.Ordinal))
            return ("-", false, HttpResponse.Text(401, "sign in with a page user (web.users)", challenge));
        if (_verified.TryGetValue(header, out var cached) && cached.Expires > DateTime.UtcNow)
            return (cached.User.Name!, cached.User.Role == "admin", null);
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
        }
        catch (FormatException)
        {
            return ("-", false, HttpResponse.Text(401, "malformed Basic credentials", challenge));
        }
        int colon = decoded.IndexOf(':', StringComparison.Ordinal);
        string name = colon < 0 ? decoded : decoded[..colon];
        WebUserSettings? user = web.Users.FirstOrDefault(u => u.Name == name);
        if (colon < 0 || user?.PasswordHash is null || !PasswordHash.Verify(decoded[(colon + 1)..], user.PasswordHash))
            return (name, false, HttpResponse.Text(401, "wrong user name or password", challenge));
        if (_verified.Count > 64)
            _verified.Clear();
        _verified[header] = (user, DateTime.UtcNow + CacheTime);
        return (name, user.Role == "admin", null);
    }

    /// <summary>The refusal for an action that is not admin, not same-origin or lacks the token; null when allowed.</summary>
    public HttpResponse? CheckAction(HttpRequest request, bool admin)
    {
        if (!admin)
            return HttpResponse.Text(403, "this user may only look (role 'read'); ask an admin");
        string expected = $"{(request.Secure ? "https" : "http")}://{request.Header("Host")}";
        string? origin = request.Header("Origin");
        if (origin is null && request.Header("Referer") is { } referer && Uri.TryCreate(referer, UriKind.Absolute, out Uri? uri))
            origin = uri.GetLeftPart(UriPartial.Authority);
        if (origin is null || !string.Equals(origin, expected, StringComparison.OrdinalIgnoreCase))
            return HttpResponse.Text(403, $"cross-origin request refused (origin '{origin ?? "none"}', expected '{expected}'); use the device page");
        byte[] sent = Encoding.ASCII.GetBytes(request.Header(TokenHeader) ?? "");
        if (!CryptographicOperations.FixedTimeEquals(sent, _token))
            return HttpResponse.Text(403, "missing or stale page token; reload the page");
        return null;
    }

    /// <summary>Whether the address is one a page without users may listen on.</summary>
    public static bool IsLoopback(IPEndPoint endpoint) => IPAddress.IsLoopback(endpoint.Address);
}
