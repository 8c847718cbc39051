using EdgeCL.Onnx.Backbones;

namespace EdgeCL.Device.Tests.Audio;

/// <summary>One speech backbone shared by the tests of a class (session creation takes ~100 ms).</summary>
public sealed class SpeechBackboneFixture : IDisposable
{
    private readonly Lazy<SpeechBackbone> _backbone = new(SpeechData.OpenBackbone);

    public SpeechBackbone Backbone => _backbone.Value;

    public void Dispose()
    {
        if (_backbone.IsValueCreated)
            _backbone.Value.Dispose();
    }
}
