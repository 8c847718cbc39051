using System.Buffers.Binary;
using System.Drawing;
using Iot.Device.Graphics;

namespace EdgeCL.Device.Gpio.Display;

/// <summary>The smallest <see cref="IImageFactory"/> Iot.Device.Bindings' display drivers accept: in-memory 32-bit
/// bitmaps, no files, no drawing API.</summary>
/// <remarks>The SSD1306 driver clears the panel through a bitmap while it initialises, and the binding's only factories
/// are SkiaSharp adapters (a native graphics library on every device for one blank frame). EdgeCL draws its text into
/// page bytes itself (<see cref="MonoFrame"/>), so a plain pixel array is all the driver needs.</remarks>
internal sealed class PlainBitmapFactory : IImageFactory
{
    private static int s_registered;

    /// <summary>Registers the factory once per process, unless one is registered already.</summary>
    public static void EnsureRegistered()
    {
        if (Interlocked.Exchange(ref s_registered, 1) == 0)
            BitmapImage.RegisterImageFactory(new PlainBitmapFactory());
    }

    public BitmapImage CreateBitmap(int width, int height, PixelFormat pixelFormat) => new PlainBitmap(width, height, pixelFormat);

    public BitmapImage CreateFromStream(Stream file) =>
        throw new NotSupportedException("EdgeCL's display draws no image files");

    private sealed class PlainBitmap(int width, int height, PixelFormat format) : BitmapImage(width, height, width * 4, format)
    {
        private readonly byte[] _pixels = new byte[width * height * 4];

        public override void SetPixel(int x, int y, Color color) =>
            BinaryPrimitives.WriteInt32LittleEndian(_pixels.AsSpan((y * Width + x) * 4), color.ToArgb());

        public override Color GetPixel(int x, int y) =>
            Color.FromArgb(BinaryPrimitives.ReadInt32LittleEndian(_pixels.AsSpan((y * Width + x) * 4)));

        public override Span<byte> AsByteSpan() => _pixels;

        public override void SaveToStream(Stream stream, ImageFileType format) =>
            throw new NotSupportedException("EdgeCL's display saves no image files");

        public override IGraphics GetDrawingApi() =>
            throw new NotSupportedException("EdgeCL's display draws its own text (MonoFrame)");

        protected override void Dispose(bool disposing)
        {
        }
    }
}
