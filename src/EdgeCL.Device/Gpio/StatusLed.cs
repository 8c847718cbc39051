namespace EdgeCL.Device.Gpio;

/// <summary>The status LEDs of <see cref="Config.LedSettings"/>.</summary>
public enum StatusLed
{
    /// <summary>On while teaching.</summary>
    Learning,

    /// <summary>On while test-time adaptation is active and healthy.</summary>
    Adapting,

    /// <summary>On while connected to the broker with nothing left to send.</summary>
    Synced,

    /// <summary>On after an error until the next success.</summary>
    Error,
}
