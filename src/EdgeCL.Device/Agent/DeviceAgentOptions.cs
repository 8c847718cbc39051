using EdgeCL.Device.Config;
using EdgeCL.Device.Sources;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Agent;

/// <summary>Creates the source for one <see cref="SourceSettings"/>; <paramref name="backbone"/> tells which files and frames it takes.</summary>
public delegate IInputSource SourceFactory(SourceSettings settings, SourceContext context, EdgeCL.Onnx.Backbones.IEmbeddingBackbone backbone);

/// <summary>Opens the teach button, lights and status display for a config (null settings = none; <paramref name="deviceId"/>
/// heads the display); throws with one line when the hardware cannot be used.</summary>
public delegate IAgentPanel? PanelFactory(GpioSettings? settings, string deviceId, ILoggerFactory loggerFactory);

/// <summary>What <see cref="DeviceAgent.StartAsync"/> needs.</summary>
public sealed class DeviceAgentOptions
{
    /// <summary>The validated config.</summary>
    public required DeviceConfig Config { get; init; }

    /// <summary>Folder relative config paths are resolved against.</summary>
    public required string ConfigDirectory { get; init; }

    /// <summary>Where log lines go.</summary>
    public required ILoggerFactory LoggerFactory { get; init; }

    /// <summary>Builds sources; default: the built-in sources.</summary>
    public SourceFactory? Sources { get; init; }

    /// <summary>Opens GPIO; default: System.Device.Gpio (or the simulated driver).</summary>
    public PanelFactory? Panel { get; init; }
}
