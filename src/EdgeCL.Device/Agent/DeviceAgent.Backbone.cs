using EdgeCL.Core.Errors;
using EdgeCL.Core.Rollout;
using EdgeCL.Device.Rollout;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Sessions;
using EdgeCL.Storage.Errors;
using EdgeCL.Storage.Files;
using EdgeCL.Sync.Commands;

namespace EdgeCL.Device.Agent;

/// <summary>
/// The <c>new_backbone</c> command (issue 14, docs/rollout.md): the named backbone is checked (installed under the models
/// folder, files matching the manifest's checksums, opens, the state can move to its space), the choice is stored in
/// <c>state_dir/backbone.override</c>, and the agent stops so that its host starts it again (in-process in <c>edgecl run</c>,
/// or systemd); that start moves the state with <see cref="StateMigration"/>. Nothing is downloaded.
/// </summary>
/// <remarks>A refused command is one log line and a negative acknowledgement: the command's id and the reason in the health
/// report (<c>refused</c>), which the retained status carries to the operator. A refusal changes no file.</remarks>
public sealed partial class DeviceAgent
{
    /// <summary>Most refusals the health report lists (the status must stay under 4 KiB).</summary>
    private const int MaxRefusals = 4;

    private readonly List<KeyValuePair<string, string>> _refusals = [];
    private BackboneChoice _backboneChoice = null!;
    private volatile string? _restartBackbone;

    /// <summary>Set when a <c>new_backbone</c> command was accepted: <see cref="RunAsync"/> has returned so that the agent is
    /// started again (dispose this one first), on this backbone.</summary>
    public string? RestartBackbone => _restartBackbone;

    /// <summary>Whether the backbone runs because of <c>state_dir/backbone.override</c> rather than the config.</summary>
    public bool BackboneOverridden => _backboneChoice.Overridden;

    private void OnNewBackbone(FleetCommand command) => Enqueue(() =>
    {
        string id = command.Nonce ?? command.Id ?? "unsigned";
        string name = command.Backbone!;
        if (WhyNotSwitch(name, command.SpaceId) is { } why)
        {
            Refuse(id, "new_backbone", why);
            return;
        }
        try
        {
            if (name == _backboneChoice.ConfigName)
                BackboneOverride.Clear(_stateDir); // the way back: the config's backbone again
            else
                BackboneOverride.Write(_stateDir, name);
        }
        catch (IOException ex)
        {
            Refuse(id, "new_backbone", $"the choice cannot be stored: {ErrorText.OneLine(ex)}");
            return;
        }
        AgentLog.BackboneSwitching(_logger, _backbone.Name, name, id);
        _restartBackbone = name; // the loop ends after this control; the host starts the agent again
    });

    /// <summary>Why the agent cannot switch to <paramref name="name"/> now, or null when it can.</summary>
    private string? WhyNotSwitch(string name, string? expectedSpace)
    {
        if (!BackboneOverride.IsValidName(name))
            return $"'{name}' is not a backbone name; name a backbone installed under this device's models folder";
        if (name == _backboneChoice.Name || name == _backbone.Name)
            return $"backbone '{name}' is the one running already";
        if (_restartBackbone is { } pending)
            return $"a switch to backbone '{pending}' is under way";
        if (_diskFull)
            return $"the state's disk is full ({DiskSpace.Describe(_stateDir)}); a rollout needs room for a copy of the state";
        IEmbeddingBackbone candidate;
        try
        {
            // Open, not only verify: a model that does not load must be refused now, not at the restart.
            candidate = BackboneCatalog.Open(name, _backboneChoice.Session, logger: null, _backboneChoice.ModelsRoot);
        }
        catch (Exception ex) when (ex is ModelLoadException or ArgumentException or IOException or InputFormatException or EmbeddingException or InvalidOperationException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            return $"backbone '{name}' cannot be used: {ErrorText.OneLine(ex)}";
        }
        using (candidate)
        {
            if (expectedSpace is not null && expectedSpace != candidate.Space.Id)
                return $"backbone '{name}' here produces space {candidate.Space.Id}, not the {expectedSpace} the command expects; install the same model version";
            if (candidate.Space == _backbone.Space)
                return null;
            try
            {
                string candidateDirectory = Path.GetDirectoryName(BackboneCatalog.ResolveManifestPath(name, _backboneChoice.ModelsRoot))!;
                return StateMigration.WhyNotMovable(Path.Combine(_stateDir, "state.db"), _backbone.Space, _device.DeviceId, candidate.Space, candidateDirectory) is { } why
                    ? $"the state cannot move to backbone '{name}': {why}" : null;
            }
            catch (Exception ex) when (ex is StateStoreException or RolloutException)
            {
                return $"the state cannot be read to plan the move: {ErrorText.OneLine(ex)}";
            }
        }
    }

    /// <summary>One line, and the command's id with the reason in the next status: the negative acknowledgement.</summary>
    private void Refuse(string id, string command, string reason)
    {
        AgentLog.CommandRefused(_logger, command, id, reason);
        lock (_refusals)
        {
            _refusals.RemoveAll(r => r.Key == id);
            _refusals.Add(new(id, reason.Length > 300 ? reason[..300] + "…" : reason));
            if (_refusals.Count > MaxRefusals)
                _refusals.RemoveAt(0);
        }
        WriteStatus(publish: true);
    }

    private Dictionary<string, string>? Refusals()
    {
        lock (_refusals)
            return _refusals.Count == 0 ? null : new Dictionary<string, string>(_refusals, StringComparer.Ordinal);
    }

    private static string? ReadBackboneOverride(string stateDir)
    {
        try
        {
            return BackboneOverride.Read(stateDir);
        }
        catch (IOException ex)
        {
            throw new AgentStartException(ErrorText.OneLine(ex), AgentStartFailure.State);
        }
    }

    /// <summary>Which backbone runs and why, and what opening another one needs.</summary>
    /// <param name="Name">The backbone running (the override's, else the config's).</param>
    /// <param name="ConfigName">The config's <c>backbone</c>.</param>
    /// <param name="Overridden">Whether <c>state_dir/backbone.override</c> chose it.</param>
    /// <param name="ModelsRoot">The models folder backbones are looked up in.</param>
    /// <param name="Session">Provider chain and threads.</param>
    private sealed record BackboneChoice(string Name, string ConfigName, bool Overridden, string? ModelsRoot, SessionOptionsSpec Session);
}
