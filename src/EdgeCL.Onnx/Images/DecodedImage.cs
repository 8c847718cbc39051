namespace EdgeCL.Onnx.Images;

/// <summary>An 8-bit image in interleaved row-major layout (height × width × channels).</summary>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Channels">1 (grey) or 3 (RGB).</param>
/// <param name="Pixels">Width × height × channels bytes.</param>
public sealed record DecodedImage(int Width, int Height, int Channels, byte[] Pixels);
