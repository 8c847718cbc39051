using EdgeCL.Device.Config;
using EdgeCL.Onnx.Backbones;

namespace EdgeCL.Device.Sources;

/// <summary>The built-in sources by <c>type</c>: the default <see cref="Agent.SourceFactory"/> of <c>edgecl run</c>.</summary>
public static class SourceCatalog
{
    /// <summary>Creates the source a config entry names.</summary>
    /// <exception cref="SourceException">The type does not fit the backbone (audio into an image backbone), or a setting is wrong.</exception>
    public static IInputSource Create(SourceSettings settings, SourceContext context, IEmbeddingBackbone backbone)
    {
        ArgumentNullException.ThrowIfNull(settings);
        int channels = backbone is ImageBackbone image ? image.Channels : 0;
        return settings.Type switch
        {
            "files" => new FileListSource(settings, context),
            "folder" or "image-folder" => new FolderSource(settings, context, backbone.FileExtensions),
            "pcm" when backbone is SpeechBackbone => new PcmStreamSource(settings, context),
            "pcm" => throw new SourceException($"a 'pcm' source needs the speech backbone, but the config uses '{backbone.Name}'; set backbone to speech or remove the source."),
            "raw-frames" when channels > 0 => new RawFrameSource(settings, context, channels),
            "camera" when channels > 0 => new CameraSource(settings, context, CameraSource.CreateDefaultCapture(settings, channels), channels),
            "raw-frames" or "camera" => throw new SourceException($"a '{settings.Type}' source needs an image backbone, but the config uses '{backbone.Name}'."),
            _ => throw new SourceException($"source type '{settings.Type}' is unknown; use one of {string.Join(", ", DeviceConfigValidator.SourceTypes)}."),
        };
    }
}
