using System.Globalization;
using System.Text;

namespace EdgeCL.Web.Http;

/// <summary>A complete response (status, type, body, extra headers); the server adds the security headers every response carries.</summary>
/// <param name="Status">HTTP status code.</param>
/// <param name="ContentType">The body's media type.</param>
/// <param name="Body">The body.</param>
/// <param name="Headers">Extra headers (e.g. <c>WWW-Authenticate</c>).</param>
public sealed record HttpResponse(int Status, string ContentType, ReadOnlyMemory<byte> Body, IReadOnlyList<KeyValuePair<string, string>>? Headers = null)
{
    /// <summary>Sent with every response: nothing is cached, sniffed, framed or loaded from elsewhere.</summary>
    internal const string SecurityHeaders =
        "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\nX-Frame-Options: DENY\r\n" +
        "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'\r\n";

    /// <summary>A one-line text answer (errors: what was wrong and what to do).</summary>
    public static HttpResponse Text(int status, string line, IReadOnlyList<KeyValuePair<string, string>>? headers = null) =>
        new(status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(line + "\n"), headers);

    /// <summary>A JSON answer from already-serialised bytes.</summary>
    public static HttpResponse Json(byte[] json, int status = 200) => new(status, "application/json; charset=utf-8", json);

    /// <summary>The head of this response.</summary>
    internal byte[] Head(bool keepAlive)
    {
        var head = new StringBuilder(512);
        head.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {Status} {Reason(Status)}\r\n");
        head.Append(CultureInfo.InvariantCulture, $"Content-Type: {ContentType}\r\nContent-Length: {Body.Length}\r\n");
        head.Append(keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
        head.Append(SecurityHeaders);
        foreach (var (name, value) in Headers ?? [])
            head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        head.Append("\r\n");
        return Encoding.ASCII.GetBytes(head.ToString());
    }

    internal static string Reason(int status) => status switch
    {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    };
}
