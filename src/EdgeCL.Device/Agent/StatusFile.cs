using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeCL.Sync.Status;

namespace EdgeCL.Device.Agent;

/// <summary>The local status file (<c>state_dir/status.json</c>) that <c>edgecl status</c> reads: the health report plus who wrote it and when.</summary>
public static class StatusFile
{
    /// <summary>File name inside the state folder.</summary>
    public const string FileName = "status.json";

    /// <summary>Replaces the status file (write + rename; no fsync: a status lost in a power cut is rewritten seconds later).</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Write(string path, string deviceId, DeviceHealth health) => Write(path, Create(deviceId, health));

    /// <summary>The record this process would write now: the health plus this process's id and the time.</summary>
    public static LocalStatus Create(string deviceId, DeviceHealth health) =>
        new() { DeviceId = deviceId, ProcessId = Environment.ProcessId, TimeMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Health = health };

    /// <summary>Replaces the status file with <paramref name="record"/>.</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Write(string path, LocalStatus record)
    {
        ArgumentNullException.ThrowIfNull(record);
        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(record, StatusJsonContext.Default.LocalStatus);
        string temp = path + ".tmp";
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new IOException(ex.Message, ex);
        }
    }

    /// <summary>A status record as the indented JSON of the status file.</summary>
    public static string ToJson(LocalStatus record) => JsonSerializer.Serialize(record, StatusJsonContext.Default.LocalStatus);

    /// <summary>Reads a status file.</summary>
    /// <exception cref="IOException">Missing or unreadable; the message says what to do.</exception>
    public static LocalStatus Read(string path)
    {
        if (!File.Exists(path))
            throw new IOException($"'{path}' does not exist: the agent has not run with this state_dir yet (start it with 'edgecl run --config ...').");
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), StatusJsonContext.Default.LocalStatus)
                ?? throw new IOException($"'{path}' is empty; wait for the agent's next status write.");
        }
        catch (JsonException ex)
        {
            throw new IOException($"'{path}' is not a status file ({ex.Message.Split('\n')[0]}); wait for the agent's next write or delete it.", ex);
        }
    }
}

/// <summary>The content of <c>status.json</c>.</summary>
public sealed record LocalStatus
{
    /// <summary>The device id.</summary>
    public string? DeviceId { get; init; }

    /// <summary>Process id of the agent that wrote it.</summary>
    public int ProcessId { get; init; }

    /// <summary>Unix time in milliseconds of the write.</summary>
    public long TimeMs { get; init; }

    /// <summary>The health report.</summary>
    public DeviceHealth? Health { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(LocalStatus))]
internal sealed partial class StatusJsonContext : JsonSerializerContext;
