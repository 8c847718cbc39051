using System.CommandLine;
using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using EdgeCL.Device.Gpio;
using EdgeCL.Device.Sources;
using EdgeCL.Onnx.Backbones;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Cli.Commands;

/// <summary><c>edgecl run --config device.json</c>: the device agent, until SIGTERM/SIGINT; <c>--check</c> validates the config and exits.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config", "-c") { Description = "The device config (device/configs/*.json are examples).", Required = true };
        var check = new Option<bool>("--check") { Description = "Validate the config (every mistake, one line each), the backbone and the GPIO pins, then exit." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Also log debug lines." };
        var command = new Command("run", "Run the device agent: sources → backbone → learner, teach button, fleet sync, health (SIGTERM stops it cleanly).") { config, check, verbose };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async token =>
        {
            string path = parse.GetValue(config)!;
            DeviceConfig loaded;
            string directory;
            try
            {
                (loaded, directory) = DeviceConfigLoader.Load(path, DeepChecks);
            }
            catch (DeviceConfigException ex)
            {
                foreach (string line in ex.Errors)
                    Console.Error.WriteLine($"edgecl: error: {line}");
                return ExitCodes.Usage;
            }
            if (parse.GetValue(check))
            {
                Console.Out.WriteLine($"{path}: ok (device {loaded.DeviceId}, backbone {loaded.Backbone}, learner {loaded.Learner.Method}, {loaded.Sources.Count} source(s){(loaded.Sync is null ? ", offline" : $", broker {loaded.Sync.Broker}")}{(loaded.Gpio is null ? "" : $", GPIO {loaded.Gpio.Driver}")}).");
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
                await agent.RunAsync(stop).ConfigureAwait(false);
            return ExitCodes.Success;
        }, ct));
        return command;
    }

    /// <summary>What <c>--check</c> (and every start) verifies beyond the JSON: the backbone's files and the GPIO settings.</summary>
    private static IEnumerable<string> DeepChecks(DeviceConfig config, string directory)
    {
        var errors = new List<string>();
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
