using System.Net;
using System.Text;

namespace EdgeCL.Web.Http;

/// <summary>One parsed HTTP/1.1 request: the request line, headers (case-insensitive) and a body read in full (bounded).</summary>
public sealed class HttpRequest
{
    /// <summary>GET, POST, ...</summary>
    public required string Method { get; init; }

    /// <summary>The path without the query, e.g. <c>/api/state</c>.</summary>
    public required string Path { get; init; }

    /// <summary>Query parameters, percent-decoded.</summary>
    public required IReadOnlyDictionary<string, string> Query { get; init; }

    /// <summary>Headers; a repeated header keeps its last value.</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    /// <summary>The body (empty without Content-Length).</summary>
    public byte[] Body { get; internal set; } = [];

    /// <summary>The client's address.</summary>
    public required IPEndPoint Remote { get; init; }

    /// <summary>Whether the connection runs TLS.</summary>
    public bool Secure { get; init; }

    /// <summary>A header's value, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out string? v) ? v : null;

    /// <summary>Parses the head (everything before the blank line); null when it is not a well-formed HTTP/1.x request head.</summary>
    internal static HttpRequest? ParseHead(ReadOnlySpan<byte> head, IPEndPoint remote, bool secure)
    {
        string text;
        try
        {
            text = Encoding.ASCII.GetString(head);
        }
        catch (ArgumentException)
        {
            return null;
        }
        string[] lines = text.Split("\r\n");
        string[] requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || !requestLine[2].StartsWith("HTTP/1.", StringComparison.Ordinal) || !requestLine[1].StartsWith('/'))
            return null;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 1; i < lines.Length; i++)
        {
            int colon = lines[i].IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
                return null;
            headers[lines[i][..colon].Trim()] = lines[i][(colon + 1)..].Trim();
        }
        string target = requestLine[1];
        int q = target.IndexOf('?', StringComparison.Ordinal);
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        if (q >= 0)
        {
            foreach (string pair in target[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = pair.IndexOf('=', StringComparison.Ordinal);
                string key = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
                query[key] = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            }
        }
        return new HttpRequest
        {
            Method = requestLine[0],
            Path = Uri.UnescapeDataString(q < 0 ? target : target[..q]),
            Query = query,
            Headers = headers,
            Remote = remote,
            Secure = secure,
        };
    }
}
