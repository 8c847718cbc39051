using System.CommandLine;
using System.Text.Json;
using EdgeCL.Core.Fleet;
using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Commands;
using EdgeCL.Sync.Operator;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.Topics;
using EdgeCL.Web.Fleet;
using EdgeCL.Web.Security;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Cli.Commands;

/// <summary><c>edgecl fleet serve</c>: the fleet page on the operator's machine.</summary>
internal static class FleetServeCommand
{
    public static Command Create()
    {
        var broker = new Option<string>("--broker") { Description = "mqtt://host:port or mqtts://host:port.", Required = true };
        var fleet = new Option<string>("--fleet") { Description = "Fleet name.", DefaultValueFactory = _ => "fleet1" };
        var login = new OperatorConnection.Options();
        var web = new Option<string>("--web") { Description = "The page's address, ADDR:PORT; off loopback it needs TLS and users (--web-config).", DefaultValueFactory = _ => "127.0.0.1:8090" };
        var webConfig = new Option<string?>("--web-config") { Description = "JSON file with the page's settings as in a device config's \"web\" section (tls_cert, tls_key, users with password_hash from 'edgecl hash-password'); --web overrides its listen." };
        var operatorKey = new Option<string?>("--operator-key") { Description = "The operator's private key (edgecl fleet operator-key): the page's commands are signed with it. Without it the page only shows." };
        var trust = new Option<string?>("--trust") { Description = "Folder of device public keys (<device-id>.pem): entries are verified, and unsigned or forged ones dropped and counted." };
        var expires = new Option<int>("--expires-s") { Description = "Seconds a command from the page stays valid and retained for an offline device (at most 3600).", DefaultValueFactory = _ => 3600 };
        var command = new Command("serve", "Serve the fleet page: every device and class from the broker's retained topics, live; signed commands shown pending until each device acknowledges them.")
            { broker, fleet, login.User, login.Password, login.Ca, login.Cert, login.Key, web, webConfig, operatorKey, trust, expires };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async token =>
        {
            string fleetName = parse.GetValue(fleet)!;
            TopicSegment.EnsureIdentifier(fleetName, "--fleet");
            int seconds = parse.GetValue(expires);
            if (seconds < 1 || seconds > SignedCommands.MaxLifetime.TotalSeconds)
                throw new ArgumentException($"--expires-s {seconds} must be 1..{SignedCommands.MaxLifetime.TotalSeconds:0}.");
            WebSettings settings = ReadWebSettings(parse.GetValue(webConfig));
            settings.Listen = parse.GetValue(web)!;
            string directory = parse.GetValue(webConfig) is { } file ? Path.GetDirectoryName(Path.GetFullPath(file))! : Environment.CurrentDirectory;
            // Refused before anything connects: the same one-line rules as the device page.
            if (WebListen.Validate(settings, p => Path.GetFullPath(p, directory)).FirstOrDefault() is { } problem)
                throw new ArgumentException(problem.Replace("web.listen", "--web", StringComparison.Ordinal));
            FleetBrokerOptions endpoint = login.Endpoint(parse, parse.GetValue(broker)!);
            using EntrySigner? key = parse.GetValue(operatorKey) is { } keyPath ? FleetCommandCliCommand.ReadOperatorKey(keyPath) : null;
            using TrustStore? trustStore = parse.GetValue(trust) is { } trustDir ? TrustFolder.Load(trustDir) : null;
            using var loggers = new LineLoggerFactory(Console.Out, LogLevel.Information);
            await using var watcher = new FleetWatcher(endpoint, new FleetView(fleetName, trustStore), $"edgecl-serve-{Environment.ProcessId}", loggers.CreateLogger("edgecl.fleet"));
            await watcher.StartAsync(token).ConfigureAwait(false);
            FleetPage? page;
            try
            {
                page = FleetPage.Start(watcher, new FleetPageOptions
                {
                    Web = settings, BrokerName = $"{endpoint.Host}:{endpoint.Port}", OperatorKey = key, CommandLifetime = TimeSpan.FromSeconds(seconds),
                }, p => Path.GetFullPath(p, directory), loggers.CreateLogger("edgecl.web"));
            }
            catch (InvalidOperationException ex)
            {
                return CommandRunner.Fail(ex.Message, ExitCodes.StateError);
            }
            if (page is null)
                throw new ArgumentException("--web off leaves nothing to serve; give ADDR:PORT (e.g. 127.0.0.1:8090).");
            await using (page.ConfigureAwait(false))
            {
                Console.Out.WriteLine($"fleet page for {fleetName} on {(settings.TlsCert is null ? "http" : "https")}://{WebListen.Format(page.EndPoint)}/ (Ctrl+C stops it)");
                try
                {
                    await Task.Delay(Timeout.Infinite, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
            return ExitCodes.Success;
        }, ct));
        return command;
    }

    private static WebSettings ReadWebSettings(string? path)
    {
        if (path is null)
            return new WebSettings();
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), EdgeCL.Device.Config.DeviceConfigJsonContext.Default.WebSettings)
                ?? throw new ArgumentException($"--web-config '{path}' is empty; write e.g. {{\"tls_cert\": \"page.crt\", \"tls_key\": \"page.key\", \"users\": [...]}}.");
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"--web-config '{path}' is not valid page settings ({ex.Message.Split('\n')[0]}).", ex);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"--web-config '{path}' cannot be read ({ex.Message.Split('\n')[0]}).", ex);
        }
    }
}
