using System.Text.Json;
using EdgeCL.Sync.Commands;
using EdgeCL.Sync.Topics;
using EdgeCL.Web.Http;
using EdgeCL.Web.Page;

namespace EdgeCL.Web.Fleet;

// The page's one action: a signed command to one device, checked as the CLI and the device check it; bad input is one
// line and a 4xx, with nothing sent.
public sealed partial class FleetPage
{
    private async Task<HttpResponse> SendCommandAsync(HttpRequest request, string user, CancellationToken stop)
    {
        if (_options.OperatorKey is not { } key)
            return HttpResponse.Text(409, "commands are off: this page was started without --operator-key; restart 'edgecl fleet serve' with the operator's key");
        string? device = request.Query.GetValueOrDefault("device"), kind = request.Query.GetValueOrDefault("command");
        string? label = request.Query.GetValueOrDefault("label") is { Length: > 0 } l ? l : null;
        string? backbone = request.Query.GetValueOrDefault("backbone") is { Length: > 0 } b ? b : null;
        if (!TopicSegment.IsValidIdentifier(device))
            return HttpResponse.Text(400, $"device '{device}' is not a device id (1-64 of A-Z a-z 0-9 - _ .); give ?device=ID");
        if (!_watcher.View.Knows(device!))
            return HttpResponse.Text(404, $"no device '{device}' in fleet {_watcher.View.Fleet} on this broker; pick one the page lists");
        if (!FleetCommand.TryCreate(kind, device!, label, backbone, out FleetCommand? command, out string error))
            return HttpResponse.Text(400, error);
        if (command.Label is not null && DevicePage.LabelProblem(command.Label) is { } problem)
            return HttpResponse.Text(400, problem);
        SignedCommand sent;
        try
        {
            sent = await _watcher.SendAsync(command, key, _options.CommandLifetime, stop).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or OperationCanceledException && !stop.IsCancellationRequested
            || ex is MQTTnet.Exceptions.MqttCommunicationException)
        {
            return HttpResponse.Text(503, $"not sent: {ex.Message.Split('\n')[0]}");
        }
        WebLog.FleetCommand(_logger, kind!, label ?? "-", device!, sent.Id, user, request.Remote.ToString());
        OnChanged();
        return HttpResponse.Json(JsonSerializer.SerializeToUtf8Bytes(new FleetCommandSent(sent.Id,
            $"sent {kind}{(label is null ? "" : $" '{label}'")} to {device} (command {sent.Id[..8]}); pending until {device} acknowledges it"), FleetPageJsonContext.Default.FleetCommandSent), 202);
    }
}
