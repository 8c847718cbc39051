using System.Reflection;

namespace EdgeCL.Web.Http;

/// <summary>The pages' files, embedded in the binary (no CDN, no download): <c>Assets/*</c> as <c>edgecl.web.NAME</c>.</summary>
internal static class EmbeddedAsset
{
    /// <summary>The asset as a 200 response with its media type from the extension; 404 when it is not in this build.</summary>
    public static HttpResponse Get(string name)
    {
        using Stream? stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("edgecl.web." + name);
        if (stream is null)
            return HttpResponse.Text(404, $"asset {name} is not in this build");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        string type = Path.GetExtension(name) switch
        {
            ".html" => "text/html; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            ".css" => "text/css; charset=utf-8",
            _ => "application/octet-stream",
        };
        return new HttpResponse(200, type, bytes);
    }
}
