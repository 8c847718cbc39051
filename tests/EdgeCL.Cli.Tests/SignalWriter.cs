using System.Text;

namespace EdgeCL.Cli.Tests;

/// <summary>A thread-safe text sink that lets a test await a piece of output instead of sleeping.</summary>
internal sealed class SignalWriter : TextWriter
{
    private readonly StringBuilder _text = new();
    private readonly List<(string Text, TaskCompletionSource Done)> _waiters = [];

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value) => Append(value.ToString());

    public override void Write(string? value) => Append(value ?? "");

    public override void Write(char[] buffer, int index, int count) => Append(new string(buffer, index, count));

    public override string ToString()
    {
        lock (_text)
            return _text.ToString();
    }

    /// <summary>Completes when the output contains <paramref name="text"/>.</summary>
    public Task WaitForAsync(string text, TimeSpan timeout)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_text)
        {
            if (_text.ToString().Contains(text, StringComparison.Ordinal))
                return Task.CompletedTask;
            _waiters.Add((text, done));
        }
        return done.Task.WaitAsync(timeout);
    }

    private void Append(string value)
    {
        lock (_text)
        {
            _text.Append(value);
            string all = _text.ToString();
            foreach (var (text, done) in _waiters)
                if (all.Contains(text, StringComparison.Ordinal))
                    done.TrySetResult();
            _waiters.RemoveAll(w => w.Done.Task.IsCompleted);
        }
    }
}
