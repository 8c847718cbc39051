using System.Threading.Channels;

namespace EdgeCL.Device.Sources;

/// <summary>A producer of <see cref="InputSample"/>s: files, a watched folder, a PCM stream with VAD, image frames.</summary>
/// <remarks>
/// <para><see cref="RunAsync"/> runs on its own task and writes samples until the source is exhausted (a list of files) or
/// the cancellation token fires. A source that loses its input (FIFO writer gone, microphone unplugged,
/// folder deleted) logs one line and waits for it to come back when it can; it throws <see cref="SourceException"/> only for
/// what no retry can fix (a wrong setting), which the agent logs while the other sources keep running.</para>
/// <para>Sources that embed on their own thread (streaming audio) own their own backbone instance.</para>
/// </remarks>
public interface IInputSource : IAsyncDisposable
{
    /// <summary>Name for logs and status, e.g. <c>folder:/var/lib/edgecl/inbox</c>.</summary>
    string Name { get; }

    /// <summary>Produces samples into <paramref name="output"/> until exhausted or cancelled.</summary>
    Task RunAsync(ChannelWriter<InputSample> output, CancellationToken cancellationToken);
}
