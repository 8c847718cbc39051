using System.CommandLine;
using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using EdgeCL.Device.Gpio;
using EdgeCL.Device.Rollout;
using EdgeCL.Device.Sources;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Storage.Files;
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
            var checks = new DeepChecks { WebOverride = parse.GetValue(web) };
            try
            {
                (loaded, directory) = DeviceConfigLoader.Load(path, checks.Run);
            }
            catch (DeviceConfigException ex)
            {
                foreach (string line in ex.Errors)
                    Console.Error.WriteLine($"edgecl: error: {line}");
                // Only model problems: the config itself is right, the model files are not (exit 4, as when the start finds them).
                return ex.Errors.Count == checks.ModelErrors ? ExitCodes.ModelError : ExitCodes.Usage;
            }
            if (parse.GetValue(check))
            {
                string? overridden = OverrideNote(loaded, directory);
                Console.Out.WriteLine($"{path}: ok (device {loaded.DeviceId}, backbone {loaded.Backbone}{overridden}, learner {loaded.Learner.Method}, {loaded.Sources.Count} source(s){(loaded.Sync is null ? ", offline" : $", broker {loaded.Sync.Broker}")}{(loaded.Gpio is null ? "" : $", GPIO {loaded.Gpio.Driver}")}, page {loaded.Web?.Listen ?? "off"}).");
                return ExitCodes.Success;
            }
            TextWriter stdout = Console.Out;
            using var loggers = new LineLoggerFactory(stdout, parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Information);
            // The token fires on SIGTERM (systemd) and SIGINT alike (Program): finish the sample in hand, checkpoint, say goodbye.
            CancellationToken stop = token;
            // A new_backbone command stops the agent to start it again on the backbone it chose (state_dir/backbone.override):
            // that start moves the state to the new space. Under systemd a crash in between is just the next start.
            while (true)
            {
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
                    return CommandRunner.Fail(ex.Message, ex.Failure switch
                    {
                        AgentStartFailure.Config => ExitCodes.Usage,
                        AgentStartFailure.Model => ExitCodes.ModelError,
                        _ => ExitCodes.StateError,
                    });
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
                if (agent.RestartBackbone is null || stop.IsCancellationRequested)
                    break;
            }
            return ExitCodes.Success;
        }, ct));
        return command;
    }

    /// <summary>", overridden by state_dir/backbone.override: NAME" when a new_backbone command chose another backbone.</summary>
    private static string? OverrideNote(DeviceConfig config, string directory)
    {
        if (config.StateDir is not { } stateDir)
            return null;
        try
        {
            return BackboneOverride.Read(Path.GetFullPath(stateDir, directory)) is { } name ? $", overridden by {BackboneOverride.FileName}: {name}" : null;
        }
        catch (IOException ex)
        {
            return $", {ex.Message.Split('\n')[0]}";
        }
    }

    /// <summary>What <c>--check</c> (and every start) verifies beyond the JSON: the device page's address, the backbone's
    /// files and their checksums, that the state folder can be created and written, and the GPIO settings.</summary>
    private sealed class DeepChecks
    {
        /// <summary>The <c>--web</c> override of <c>web.listen</c>, or null.</summary>
        public string? WebOverride { get; init; }

        /// <summary>How many of the lines returned by <see cref="Run"/> are about the model files.</summary>
        public int ModelErrors { get; private set; }

        private static string? OverrideName(string stateDir)
        {
            try
            {
                return BackboneOverride.Read(stateDir);
            }
            catch (IOException)
            {
                return null; // said by OverrideNote, and by the start
            }
        }

        /// <summary>Null when the backbone's files are present and match their checksums; else one line.</summary>
        private static string? VerifyBackbone(string reference, string? models)
        {
            try
            {
                if (!reference.EndsWith(".onnx", StringComparison.Ordinal))
                {
                    string manifestPath = BackboneCatalog.ResolveManifestPath(reference, models);
                    // Present is not enough: a truncated download or another version stops the start, so hash every file.
                    BackboneCatalog.VerifyFiles(BackboneCatalog.LoadManifest(manifestPath), Path.GetDirectoryName(manifestPath)!);
                }
                else if (!File.Exists(reference))
                    return $"'{reference}' does not exist.";
                return null;
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or EdgeCL.Onnx.Errors.ModelLoadException)
            {
                return ex.Message.Split('\n')[0];
            }
        }

        public IEnumerable<string> Run(DeviceConfig config, string directory)
        {
            var errors = new List<string>();
            if (WebOverride is not null)
                (config.Web ??= new WebSettings()).Listen = WebOverride;
            errors.AddRange(WebListen.Validate(config.Web, p => Path.GetFullPath(p, directory)));
            int beforeModel = errors.Count;
            bool modelsMissing = config.ModelsRoot is { } root && !Directory.Exists(Path.GetFullPath(root, directory));
            string? models = config.ModelsRoot is null ? null : Path.GetFullPath(config.ModelsRoot, directory);
            if (config.Backbone is { } backbone && !modelsMissing)
            {
                if (VerifyBackbone(DeviceConfigValidator.BackboneReference(backbone, directory), models) is { } problem)
                    errors.Add($"backbone: {problem}");
                // A new_backbone command's choice is what the next start opens: it must verify as well.
                string? overridden = config.StateDir is { } dir ? OverrideName(Path.GetFullPath(dir, directory)) : null;
                if (overridden is not null && VerifyBackbone(overridden, models) is { } overrideProblem)
                    errors.Add($"backbone (from {BackboneOverride.FileName} in state_dir; delete it to run the config's): {overrideProblem}");
                ModelErrors = errors.Count - beforeModel;
            }
            if (config.StateDir is { } stateDir && FolderCheck.WhyNotWritable(Path.GetFullPath(stateDir, directory)) is { } why)
                errors.Add($"state_dir '{stateDir}' cannot be created or written: {why}; fix the path or its permissions.");
            if (config.Gpio is { } gpio)
                errors.AddRange(DeviceGpio.Validate(gpio).Select(e => $"gpio: {e}"));
            return errors;
        }
    }
}
