using System.CommandLine;
using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using EdgeCL.Device.Gpio;
using EdgeCL.Device.Sources;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Web.Page;
using EdgeCL.Web.Security;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Cli.Commands;

/// <summary><c>edgecl run --config device.json</c>: the device agent, until SIGTERM/SIGINT; <c>--check</c> validates the config and exits.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config", "-c") { Description = "The device config (device/configs/*.json are examples).", Required = true };
        var check = new Option<bool>("--check") { Description = "Validate the config (every mistake, one line each), the backbone and the GPIO pins, then exit." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Also log debug lines (one per recognition)." };
        var web = new Option<string?>("--web") { Description = "The device page's address, ADDR:PORT (e.g. 127.0.0.1:8080), or 'off'; overrides web.listen in the config." };
        var command = new Command("run", "Run the device agent: sources → backbone → learner, teach button, fleet sync, health, device page (SIGTERM stops it cleanly).") { config, check, verbose, web };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async token =>
        {
            string path = parse.GetValue(config)!;
            DeviceConfig loaded;
            string directory;
            try
            {
                string? webOverride = parse.GetValue(web);
                (loaded, directory) = DeviceConfigLoader.Load(path, (c, d) => DeepChecks(c, d, webOverride));
            }
            catch (DeviceConfigException ex)
            {
                foreach (string line in ex.Errors)
                    Console.Error.WriteLine($"edgecl: error: {line}");
                return ExitCodes.Usage;
            }
            if (parse.GetValue(check))
            {
                Console.Out.WriteLine($"{path}: ok (device {loaded.DeviceId}, backbone {loaded.Backbone}, learner {loaded.Learner.Method}, {loaded.Sources.Count} source(s){(loaded.Sync is null ? ", offline" : $", broker {loaded.Sync.Broker}")}{(loaded.Gpio is null ? "" : $", GPIO {loaded.Gpio.Driver}")}, page {loaded.Web?.Listen ?? "off"}).");
                return ExitCodes.Success;
            }
            TextWriter stdout = Console.Out;
            using var loggers = new LineLoggerFactory(stdout, parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Information);
            // The token fires on SIGTERM (systemd) and SIGINT alike (Program): finish the sample in hand, checkpoint, say goodbye.
            CancellationToken stop = token;
            DeviceAgent agent;
            try
            {
                agent = await DeviceAgent.StartAsync(new DeviceAgentOptions
                {
                    Config = loaded,
                    ConfigDirectory = directory,
                    LoggerFactory = loggers,
                    Sources = SourceCatalog.Create,
                    Panel = GpioPanel.Open,
                }, stop).ConfigureAwait(false);
            }
            catch (AgentStartException ex)
            {
                return CommandRunner.Fail(ex.Message, ExitCodes.StateError);
            }
            await using (agent.ConfigureAwait(false))
            {
                DevicePage? page;
                try
                {
                    page = loaded.Web is { } settings ? DevicePage.Start(agent, settings, p => Path.GetFullPath(p, directory), loggers.CreateLogger("edgecl.web")) : null;
                }
                catch (InvalidOperationException ex)
                {
                    return CommandRunner.Fail(ex.Message, ExitCodes.StateError);
                }
                try
                {
                    await agent.RunAsync(stop).ConfigureAwait(false);
                }
                finally
                {
                    if (page is not null)
                        await page.DisposeAsync().ConfigureAwait(false);
                }
            }
            return ExitCodes.Success;
        }, ct));
        return command;
    }

    /// <summary>What <c>--check</c> (and every start) verifies beyond the JSON: the backbone's files and the GPIO settings.</summary>
    private static IEnumerable<string> DeepChecks(DeviceConfig config, string directory, string? webOverride)
    {
        var errors = new List<string>();
        if (webOverride is not null)
            (config.Web ??= new WebSettings()).Listen = webOverride;
        errors.AddRange(WebListen.Validate(config.Web, p => Path.GetFullPath(p, directory)));
        bool modelsMissing = config.ModelsRoot is { } root && !Directory.Exists(Path.GetFullPath(root, directory));
        if (config.Backbone is { } backbone && !modelsMissing)
        {
            string? models = config.ModelsRoot is null ? null : Path.GetFullPath(config.ModelsRoot, directory);
            string reference = DeviceConfigValidator.BackboneReference(backbone, directory);
            try
            {
                if (!reference.EndsWith(".onnx", StringComparison.Ordinal))
                {
                    string manifestPath = BackboneCatalog.ResolveManifestPath(reference, models);
                    BackboneManifest manifest = BackboneCatalog.LoadManifest(manifestPath);
                    string folder = Path.GetDirectoryName(manifestPath)!;
                    foreach (var file in manifest.Files)
                        if (!File.Exists(Path.Combine(folder, file.Path)))
                            errors.Add($"backbone '{backbone}': model file '{Path.Combine(folder, file.Path)}' is missing{(manifest.Fetch is { } fetch ? $"; run {Path.Combine(folder, fetch)}" : "")}.");
                }
                else if (!File.Exists(reference))
                    errors.Add($"backbone '{backbone}' does not exist.");
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or EdgeCL.Onnx.Errors.ModelLoadException)
            {
                errors.Add($"backbone: {ex.Message.Split('\n')[0]}");
            }
        }
        if (config.Gpio is { } gpio)
            errors.AddRange(DeviceGpio.Validate(gpio).Select(e => $"gpio: {e}"));
        return errors;
    }
}
