using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace EdgeCL.Device.Tests.Web;

/// <summary>
/// Debian's chromium, headless, driven over the DevTools protocol (a WebSocket and JSON; no Playwright, no download):
/// evaluate script in the page, set file inputs, and collect console errors and uncaught exceptions.
/// </summary>
internal sealed partial class HeadlessChromium : IAsyncDisposable
{
    public const string Path = "/usr/bin/chromium";
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonNode?>> _calls = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _sending = new(1, 1);
    private Task _receiving = Task.CompletedTask;
    private int _nextId;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>Console errors, failed loads and uncaught exceptions seen so far.</summary>
    public ConcurrentQueue<string> Errors { get; } = new();

    public static bool Available => File.Exists(Path);

    public static async Task<HeadlessChromium> StartAsync()
    {
        string profile = Directory.CreateTempSubdirectory("edgecl-chromium-").FullName;
        var start = new ProcessStartInfo(Path) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string arg in new[] { "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--metrics-recording-only", "--remote-debugging-port=0", $"--user-data-dir={profile}", "--window-size=1200,900", "about:blank" })
            start.ArgumentList.Add(arg);
        var process = Process.Start(start)!;
        var browser = new HeadlessChromium(process, profile);
        var endpoint = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null && Listening().Match(e.Data) is { Success: true } m)
                endpoint.TrySetResult(m.Groups["port"].Value);
        };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        string port = await endpoint.Task.WaitAsync(TimeSpan.FromSeconds(30));
        using var http = new HttpClient();
        JsonArray targets = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list"))!.AsArray();
        string page = targets.First(t => (string?)t!["type"] == "page")!["webSocketDebuggerUrl"]!.GetValue<string>();
        await browser._socket.ConnectAsync(new Uri(page), CancellationToken.None);
        browser._receiving = Task.Run(browser.ReceiveAsync);
        await browser.CallAsync("Runtime.enable");
        await browser.CallAsync("Log.enable");
        await browser.CallAsync("Page.enable");
        return browser;
    }

    public async Task<JsonNode?> CallAsync(string method, JsonObject? parameters = null)
    {
        int id = Interlocked.Increment(ref _nextId);
        var done = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _calls[id] = done;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        await _sending.WaitAsync();
        try
        {
            await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
        }
        finally
        {
            _sending.Release();
        }
        return await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Evaluates <paramref name="script"/> in the page (awaiting a promise) and returns its value as JSON.</summary>
    public async Task<JsonNode?> EvaluateAsync(string script)
    {
        JsonNode? result = await CallAsync("Runtime.evaluate", new JsonObject { ["expression"] = script, ["awaitPromise"] = true, ["returnByValue"] = true });
        if (result?["exceptionDetails"] is { } exception)
            throw new InvalidOperationException($"script failed: {exception.ToJsonString()}");
        return result?["result"]?["value"];
    }

    /// <summary>Polls a boolean expression until it is true; returns the time it took.</summary>
    public async Task<TimeSpan> WaitUntilAsync(string condition, double seconds = 10)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            if ((await EvaluateAsync($"!!({condition})"))?.GetValue<bool>() == true)
                return clock.Elapsed;
            await Task.Delay(10);
        }
        throw new TimeoutException($"'{condition}' not true after {seconds} s; errors: {string.Join(" | ", Errors)}");
    }

    /// <summary>Puts files into an <c>&lt;input type=file&gt;</c> as a user would choose them.</summary>
    public async Task SetFilesAsync(string selector, params string[] files)
    {
        JsonNode? document = await CallAsync("DOM.getDocument");
        int root = document!["root"]!["nodeId"]!.GetValue<int>();
        JsonNode? node = await CallAsync("DOM.querySelector", new JsonObject { ["nodeId"] = root, ["selector"] = selector });
        var list = new JsonArray(files.Select(f => (JsonNode)f).ToArray());
        await CallAsync("DOM.setFileInputFiles", new JsonObject { ["files"] = list, ["nodeId"] = node!["nodeId"]!.GetValue<int>() });
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[1 << 20];
        while (!_stop.IsCancellationRequested && _socket.State == WebSocketState.Open)
        {
            int length = 0;
            ValueWebSocketReceiveResult received;
            try
            {
                do
                {
                    if (length == buffer.Length)
                        Array.Resize(ref buffer, buffer.Length * 2);
                    received = await _socket.ReceiveAsync(buffer.AsMemory(length), _stop.Token);
                    length += received.Count;
                }
                while (!received.EndOfMessage);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                return;
            }
            JsonNode? message = JsonNode.Parse(buffer.AsSpan(0, length));
            if (message?["id"] is { } id && _calls.TryRemove(id.GetValue<int>(), out var call))
            {
                if (message["error"] is { } error)
                    call.TrySetException(new InvalidOperationException(error.ToJsonString()));
                else
                    call.TrySetResult(message["result"]);
                continue;
            }
            switch ((string?)message?["method"])
            {
                case "Runtime.consoleAPICalled" when (string?)message!["params"]!["type"] is "error" or "assert":
                    Errors.Enqueue("console: " + message["params"]!["args"]!.ToJsonString());
                    break;
                case "Runtime.exceptionThrown":
                    Errors.Enqueue("exception: " + message!["params"]!["exceptionDetails"]!.ToJsonString());
                    break;
                case "Log.entryAdded" when (string?)message!["params"]!["entry"]!["level"] == "error":
                    Errors.Enqueue("log: " + message["params"]!["entry"]!["text"] + " " + message["params"]!["entry"]!["url"]);
                    break;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _receiving; } catch (OperationCanceledException) { }
        _socket.Dispose();
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _stop.Dispose();
    }

    [GeneratedRegex(@"DevTools listening on ws://127\.0\.0\.1:(?<port>\d+)/")]
    private static partial Regex Listening();
}
