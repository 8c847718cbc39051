using EdgeCL.Device.Config;

namespace EdgeCL.Fuzz.Targets;

/// <summary><c>device.json</c> as the agent loads it (<see cref="DeviceConfigLoader.Load"/>: parse, then every value checked).</summary>
/// <remarks>Clear error: <see cref="DeviceConfigException"/>, one line per mistake.</remarks>
internal sealed class DeviceConfigTarget : IFuzzTarget
{
    private readonly string _path = Path.Combine(ScratchFolder.Create("device-config"), "device.json");

    public string Name => "device-config";

    public void Run(byte[] input)
    {
        File.WriteAllBytes(_path, input);
        try
        {
            DeviceConfigLoader.Load(_path);
        }
        catch (DeviceConfigException)
        {
            // The documented answer to a bad config.
        }
    }
}
