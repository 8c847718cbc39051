namespace EdgeCL.Device.Sources;

/// <summary>A camera that delivers uncompressed frames: the plug-in point of <see cref="CameraSource"/>.</summary>
/// <remarks>
/// The default build has no implementation: V4L2 capture in .NET is Iot.Device.Bindings' <c>VideoDevice</c>, which this build does
/// not reference. <c>dotnet publish -p:EdgeClCamera=true</c> compiles <c>Sources/Camera/VideoDeviceCapture.cs</c> with that package;
/// any other camera library fits behind this interface the same way. Not thread-safe: one source uses one capture.
/// </remarks>
public interface ICameraCapture : IDisposable
{
    /// <summary>Opens the camera for frames of <paramref name="width"/> × <paramref name="height"/>; called again after <see cref="CaptureAsync"/> returned false, so it first closes what it had open.</summary>
    /// <returns>The channels of the frames <see cref="CaptureAsync"/> will write: 1 (grey) or 3 (RGB).</returns>
    /// <exception cref="IOException">The camera is missing or busy; the source retries.</exception>
    int Open(int width, int height);

    /// <summary>Captures the next frame into <paramref name="frame"/> (width × height × channels bytes, row-major, interleaved).</summary>
    /// <returns>False when the camera has gone away (unplugged); the source then calls <see cref="Open"/> again until it succeeds.</returns>
    ValueTask<bool> CaptureAsync(Memory<byte> frame, CancellationToken cancellationToken);
}
