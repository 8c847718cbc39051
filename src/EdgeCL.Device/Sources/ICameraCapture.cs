namespace EdgeCL.Device.Sources;

/// <summary>A camera that delivers uncompressed frames: the plug-in point of <see cref="CameraSource"/>.</summary>
/// <remarks>
/// Every build, Native AOT included, has edgecl's own V4L2 capture (<see cref="Camera.V4l2.V4l2Capture"/>); any other camera
/// library fits behind this interface the same way. Not thread-safe: one source uses one capture.
/// </remarks>
public interface ICameraCapture : IDisposable
{
    /// <summary>Opens the camera for frames of <paramref name="width"/> × <paramref name="height"/>; called again after <see cref="CaptureAsync"/> returned false, so it first closes what it had open.</summary>
    /// <returns>The channels of the frames <see cref="CaptureAsync"/> will write: 1 (grey) or 3 (RGB).</returns>
    /// <exception cref="IOException">The camera is missing or busy; the source retries.</exception>
    int Open(int width, int height);

    /// <summary>Captures the next frame into <paramref name="frame"/> (width × height × channels bytes, row-major, interleaved).</summary>
    /// <returns>False when the camera has gone away (unplugged); the source then calls <see cref="Open"/> again until it succeeds.</returns>
    /// <exception cref="InvalidDataException">The camera delivers frames that do not fit (another size); the source logs it and reopens.</exception>
    /// <exception cref="IOException">The camera went away mid-stream (its message is the one line the source logs); the source reopens.</exception>
    ValueTask<bool> CaptureAsync(Memory<byte> frame, CancellationToken cancellationToken);
}
