using EdgeCL.Onnx.Audio;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;

namespace EdgeCL.Fuzz.Targets;

/// <summary>WAV decoding as the speech backbone reads a file (<see cref="WavReader.ReadMono"/> at 16 kHz, 60 s limit), and from memory.</summary>
/// <remarks>Clear error: <see cref="InputFormatException"/>.</remarks>
internal sealed class WavTarget : IFuzzTarget
{
    private readonly string _path = Path.Combine(ScratchFolder.Create("wav"), "clip.wav");

    public string Name => "wav";

    public void Run(byte[] input)
    {
        File.WriteAllBytes(_path, input);
        try
        {
            WavReader.ReadMono(_path, 16_000, SpeechBackbone.MaxFileSeconds);
        }
        catch (InputFormatException)
        {
            // The documented answer to a bad WAV.
        }
        try
        {
            WavReader.DecodeMono(input, 16_000);
        }
        catch (InputFormatException)
        {
        }
    }
}
