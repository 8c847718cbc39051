using Microsoft.ML.OnnxRuntime;

namespace EdgeCL.Onnx.Sessions;

/// <summary>An ONNX Runtime session together with the provider that actually runs it.</summary>
/// <remarks>Owns the session and its options; must be disposed. Safe for concurrent <c>Run</c> as ORT sessions are.</remarks>
public sealed class OnnxSession : IDisposable
{
    private readonly SessionOptions _options;

    internal OnnxSession(InferenceSession session, SessionOptions options, ExecutionProvider provider, IReadOnlyList<string> skipped)
    {
        Session = session;
        _options = options;
        ActiveProvider = provider;
        SkippedProviders = skipped;
    }

    /// <summary>The underlying session.</summary>
    public InferenceSession Session { get; }

    /// <summary>The provider the chain settled on (after its self-test passed).</summary>
    public ExecutionProvider ActiveProvider { get; }

    /// <summary>One line per provider that was tried and skipped, with the reason.</summary>
    public IReadOnlyList<string> SkippedProviders { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        Session.Dispose();
        _options.Dispose();
    }
}
