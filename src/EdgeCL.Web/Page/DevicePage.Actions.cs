using System.Collections.Concurrent;
using System.Text.Json;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Learning.OpenSet;
using EdgeCL.Device.Agent;
using EdgeCL.Device.Sources;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Storage.Errors;
using EdgeCL.Web.Http;

namespace EdgeCL.Web.Page;

/// <summary>The page's actions. Each calls the agent entry point that the button or the MQTT command calls, with trigger <c>web</c>;
/// bad input is one line and a 4xx status, with nothing stored.</summary>
public sealed partial class DevicePage
{
    private static readonly TimeSpan UploadWait = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<AgentResult>> _pendingUploads = new(StringComparer.Ordinal);

    private async Task<HttpResponse> ActAsync(HttpRequest request, string user)
    {
        string? label = request.Query.GetValueOrDefault("label");
        if (request.Path is "/api/teach" or "/api/upload" or "/api/forget" && LabelProblem(label) is { } problem)
            return HttpResponse.Text(400, problem);
        WebLog.Action(_logger, request.Path[5..], label, user, request.Remote.ToString());
        switch (request.Path)
        {
            case "/api/teach":
                if (_agent.TeachingLabel is { } running)
                    return HttpResponse.Text(409, $"teaching '{running}' is still running; wait for it to end (shots taken or timeout)");
                _agent.Teach(label!, "web");
                return Done(202, $"teaching '{label}': the next {_agent.Config.Teach.Shots} samples are its examples");
            case "/api/upload":
                return await UploadAsync(request, label!).ConfigureAwait(false);
            case "/api/forget":
                try
                {
                    return await _agent.ForgetAsync(label!, "web").ConfigureAwait(false)
                        ? Done(200, $"forgot '{label}' (its tombstone is synced to the fleet)")
                        : HttpResponse.Text(404, $"this device has no class '{label}'");
                }
                catch (StateStoreException ex)
                {
                    return HttpResponse.Text(503, $"forget failed, nothing changed: {ex.Message.Split('\n')[0]}");
                }
            case "/api/false-alarm":
                _agent.FalseAlarm("web");
                return Done(202, "the last recognition is taught as the negative class of its label (see the log if there was none)");
            case "/api/reset-adaptation":
                _agent.ResetAdaptation("web");
                return Done(202, "adaptation reset");
            default:
                return HttpResponse.Text(404, $"no action at {request.Path}");
        }
    }

    /// <summary>Why a label from the page cannot be used: the fleet's label rules plus no path characters.</summary>
    internal static string? LabelProblem(string? label)
    {
        if (string.IsNullOrEmpty(label))
            return "label is missing; give ?label=NAME";
        if (label.Contains('/', StringComparison.Ordinal) || label.Contains('\\', StringComparison.Ordinal) || label.Contains("..", StringComparison.Ordinal))
            return $"label '{label}' contains a path character ('/', '\\' or '..'); use letters, digits, '-' or '_'";
        if (!FleetLimits.IsValidLabel(label))
            return $"label '{label}' cannot be synced (1..{FleetLimits.MaxLabelBytes} bytes of printable text, no leading or trailing space)";
        return ReservedLabels.Problem(label);
    }

    private async Task<HttpResponse> UploadAsync(HttpRequest request, string label)
    {
        string? kind = Sniff(request.Body);
        bool speech = _agent.Backbone is SpeechBackbone;
        if (kind is null)
            return HttpResponse.Text(415, "the file is neither a WAV recording nor a PNG/JPEG/BMP/PGM image");
        if ((kind == ".wav") != speech)
            return HttpResponse.Text(415, $"a {kind[1..]} file cannot teach backbone '{_agent.Backbone.Name}', which takes {(speech ? "WAV recordings" : "images")}");
        string id = Guid.NewGuid().ToString("N");
        string path = Path.Combine(_uploads, id + kind);
        Directory.CreateDirectory(_uploads);
        await File.WriteAllBytesAsync(path, request.Body).ConfigureAwait(false);
        string name = request.Query.GetValueOrDefault("name") is { Length: > 0 and <= 200 } n && !n.Any(char.IsControl) ? n : "upload";
        string origin = $"web upload {id} ({name})";
        var done = new TaskCompletionSource<AgentResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pendingUploads[origin] = done;
        var sample = new InputSample { Source = "web", Origin = origin, FilePath = path, Label = label, Handled = _ => TryDelete(path) };
        if (!_agent.Submit(sample))
        {
            _pendingUploads.TryRemove(origin, out _);
            TryDelete(path);
            return HttpResponse.Text(503, "the device is busy (sample queue full); try again in a moment");
        }
        AgentResult result;
        try
        {
            result = await done.Task.WaitAsync(UploadWait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _pendingUploads.TryRemove(origin, out _);
            return Done(202, $"'{name}' is queued for '{label}'; the log says when it is learned");
        }
        return result.Outcome switch
        {
            AgentOutcome.Learned => Done(200, $"learned '{name}' as '{label}'"),
            AgentOutcome.Duplicate => Done(200, $"'{name}' was learned before; not counted twice"),
            _ => HttpResponse.Text(422, $"'{name}' not learned: {result.Reason ?? result.Outcome.ToString()}"),
        };
    }

    /// <summary>The file's type from its first bytes (the decoders check the rest), as the extension the front ends expect.</summary>
    internal static string? Sniff(ReadOnlySpan<byte> data) => data switch
    {
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'A', (byte)'V', (byte)'E', ..] => ".wav",
        [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => ".png",
        [0xFF, 0xD8, 0xFF, ..] => ".jpg",
        [(byte)'B', (byte)'M', ..] => ".bmp",
        [(byte)'P', (byte)'5' or (byte)'2', (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t', ..] => ".pgm",
        _ => null,
    };

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static HttpResponse Done(int status, string message) =>
        HttpResponse.Json(JsonSerializer.SerializeToUtf8Bytes(new ActionResult(true, message), PageJsonContext.Default.ActionResult), status);

    // On the agent loop after every sample: nothing is formatted or allocated while no page is open and no upload waits.
    internal void OnSampleHandled(object? sender, AgentResult result)
    {
        if (!_pendingUploads.IsEmpty && _pendingUploads.TryRemove(result.Origin, out var upload))
            upload.TrySetResult(result);
        if (_events.Count == 0 || result.Outcome is not (AgentOutcome.Recognised or AgentOutcome.Unknown or AgentOutcome.Learned or AgentOutcome.Rejected))
            return;
        _events.Publish(RecognitionEvent.Format(result, _agent.Config.Recognition.Threshold));
    }
}
