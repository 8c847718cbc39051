using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;

namespace EdgeCL.Device.Config;

/// <summary>Reads <c>device.json</c>: syntax and unknown keys first (with a "did you mean"), then every value (<see cref="DeviceConfigValidator"/>).</summary>
public static partial class DeviceConfigLoader
{
    /// <summary>Largest config file accepted.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>Reads and validates a config file.</summary>
    /// <returns>The config and the folder relative paths are resolved against.</returns>
    /// <exception cref="DeviceConfigException">The file is missing, not JSON, has an unknown key, or a value is wrong; one line per mistake.</exception>
    public static (DeviceConfig Config, string Directory) Load(string path, Func<DeviceConfig, string, IEnumerable<string>>? extraChecks = null) =>
        Load(path, DeviceConfigValidator.Validate, extraChecks);

    /// <summary>Reads a config for how its device listens only (<see cref="DeviceConfigValidator.ValidateListening"/>): the
    /// syntax and every key are checked, but only recognition and the pcm sources' VAD settings are validated, so a Pi's
    /// config can be used on a laptop whose paths differ.</summary>
    /// <exception cref="DeviceConfigException">As <see cref="Load(string, Func{DeviceConfig, string, IEnumerable{string}}?)"/>.</exception>
    public static (DeviceConfig Config, string Directory) LoadListening(string path) => Load(path, DeviceConfigValidator.ValidateListening, null);

    private static (DeviceConfig Config, string Directory) Load(string path, Func<DeviceConfig, string, IEnumerable<string>> validate,
        Func<DeviceConfig, string, IEnumerable<string>>? extraChecks)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string name = Path.GetFileName(full);
        byte[] bytes;
        try
        {
            var info = new FileInfo(full);
            if (!info.Exists)
                throw new DeviceConfigException([$"{path}: no such file; copy one of device/configs/*.json and edit it."]);
            if (info.Length > MaxBytes)
                throw new DeviceConfigException([$"{path}: {info.Length} bytes is too large for a config (limit {MaxBytes}); is this the right file?"]);
            bytes = File.ReadAllBytes(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DeviceConfigException([$"{path}: cannot be read ({ex.Message.Split('\n')[0]}); check its permissions."]);
        }
        DeviceConfig config = Parse(bytes, name);
        string directory = Path.GetDirectoryName(full)!;
        var errors = validate(config, directory).ToList();
        if (extraChecks is not null)
            errors.AddRange(extraChecks(config, directory));
        if (errors.Count > 0)
            throw new DeviceConfigException(errors.Select(e => $"{name}: {e}").ToList());
        return (config, directory);
    }

    /// <summary>Parses config JSON; syntax errors and unknown keys become one clear line.</summary>
    /// <exception cref="DeviceConfigException">Not JSON, an unknown key, or a value of the wrong type.</exception>
    public static DeviceConfig Parse(ReadOnlySpan<byte> json, string displayName = "device.json")
    {
        // Editors on Windows save UTF-8 with a byte-order mark, which the JSON reader refuses.
        if (json.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            json = json[3..];
        // The reader stops at the first unknown key or wrong type; to list them all, each one found is blanked out
        // (spaces, so line numbers stay true) and the rest parsed again.
        byte[] text = json.ToArray();
        var errors = new List<string>();
        for (int attempt = 0; attempt < MaxListedErrors; attempt++)
        {
            try
            {
                DeviceConfig config = JsonSerializer.Deserialize(text, DeviceConfigJsonContext.Default.DeviceConfig)
                    ?? throw new DeviceConfigException([$"{displayName}: the file holds 'null'; it must be a JSON object such as {{\"device_id\": \"pi-01\", ...}}."]);
                if (errors.Count == 0)
                    return config;
                break;
            }
            catch (JsonException ex)
            {
                errors.Add($"{displayName}: {Explain(ex)}");
                if (ex.Path is not { } path || !TryBlankProperty(text, path))
                    break; // a syntax error, or nothing to remove: what follows cannot be read
            }
        }
        throw new DeviceConfigException(errors);
    }

    /// <summary>Most JSON mistakes listed in one go.</summary>
    private const int MaxListedErrors = 50;

    /// <summary>Overwrites the property at <paramref name="path"/> (e.g. <c>$.sources[0].poll_ms</c>) and a comma next to it with spaces.</summary>
    private static bool TryBlankProperty(byte[] json, string path)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var containers = new Stack<(string Path, bool IsArray, int Next)>();
        string? property = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        property = reader.GetString()!;
                        if ($"{containers.Peek().Path}.{property}" == path)
                        {
                            int start = (int)reader.TokenStartIndex;
                            reader.Read();
                            reader.Skip();
                            Blank(json, start, (int)reader.BytesConsumed);
                            return true;
                        }
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        string here = containers.Count == 0 ? "$" : ChildPath(containers, property);
                        containers.Push((here, reader.TokenType == JsonTokenType.StartArray, 0));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        containers.Pop();
                        break;
                    default:
                        if (containers.Count > 0)
                            _ = ChildPath(containers, property); // an array element: count it
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Malformed JSON, or a property name that is not valid UTF-8 (GetString refuses it; found by fuzzing): the
            // error already listed stands alone.
        }
        return false;
    }

    // The path of the next value in the top container: "<path>.<property>" in an object, "<path>[i]" in an array.
    private static string ChildPath(Stack<(string Path, bool IsArray, int Next)> containers, string? property)
    {
        (string path, bool isArray, int next) = containers.Pop();
        containers.Push((path, isArray, isArray ? next + 1 : next));
        return isArray ? $"{path}[{next}]" : $"{path}.{property}";
    }

    private static void Blank(byte[] json, int start, int end)
    {
        for (int i = start; i < end; i++)
            if (json[i] is not ((byte)'\n' or (byte)'\r'))
                json[i] = (byte)' ';
        // The comma after the property (or, for the last one, the trailing comma before it is allowed).
        for (int i = end; i < json.Length; i++)
        {
            if (json[i] == ',')
            {
                json[i] = (byte)' ';
                return;
            }
            if (json[i] is not ((byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r'))
                return;
        }
    }

    private static string Explain(JsonException ex)
    {
        string where = ex.LineNumber is { } line ? $"line {line + 1}" : "";
        string path = string.IsNullOrEmpty(ex.Path) ? "$" : ex.Path;
        string message = ex.Message;
        Match unknown = UnmappedPattern().Match(message);
        if (unknown.Success)
        {
            string key = unknown.Groups["key"].Value;
            string typeName = unknown.Groups["type"].Value;
            string[] known = KnownKeys(typeName);
            string? guess = Closest(key, known);
            string parent = ParentOf(path);
            return $"{where}: unknown key '{key}' in {(parent.Length == 0 ? "the top level" : parent)}" +
                (guess is not null ? $"; did you mean '{guess}'?" : $"; known keys there: {string.Join(", ", known)}.");
        }
        if (message.Contains("could not be converted", StringComparison.Ordinal))
        {
            Match target = ConvertPattern().Match(message);
            string expected = target.Success ? Describe(target.Groups["type"].Value) : "another type";
            return $"{where}: '{path.TrimStart('$', '.')}' has the wrong type; it must be {expected}.";
        }
        if (message.Contains("required properties", StringComparison.Ordinal))
            return $"{where}: {message.Split('\n')[0]}";
        // Syntax: System.Text.Json's message already names the character; keep its first sentence.
        string first = message.Split(". ", 2)[0].Split('\n')[0];
        return $"{where}: not valid JSON ({first}); fix the syntax (e.g. a missing comma or quote) near that line.";
    }

    private static string ParentOf(string path)
    {
        int dot = path.LastIndexOf('.');
        return dot <= 0 ? "" : path[..dot].TrimStart('$', '.');
    }

    private static string Describe(string clrType) => clrType switch
    {
        "System.Int32" or "System.Nullable`1[System.Int32]" => "a whole number",
        "System.Double" or "System.Single" => "a number",
        "System.Boolean" => "true or false",
        "System.String" => "a string in quotes",
        _ when clrType.Contains("IReadOnlyList", StringComparison.Ordinal) => "a list [ ... ]",
        _ when clrType.Contains("IReadOnlyDictionary", StringComparison.Ordinal) => "an object { \"key\": \"value\" }",
        _ => "an object { ... }",
    };

    private static string[] KnownKeys(string clrTypeName)
    {
        JsonTypeInfo? info = clrTypeName.Split('.').Last() switch
        {
            nameof(DeviceConfig) => DeviceConfigJsonContext.Default.DeviceConfig,
            nameof(LearnerSettings) => DeviceConfigJsonContext.Default.LearnerSettings,
            nameof(TeachSettings) => DeviceConfigJsonContext.Default.TeachSettings,
            nameof(RecognitionSettings) => DeviceConfigJsonContext.Default.RecognitionSettings,
            nameof(SyncSettings) => DeviceConfigJsonContext.Default.SyncSettings,
            nameof(SourceSettings) => DeviceConfigJsonContext.Default.SourceSettings,
            nameof(VadSettings) => DeviceConfigJsonContext.Default.VadSettings,
            nameof(GpioSettings) => DeviceConfigJsonContext.Default.GpioSettings,
            nameof(ButtonSettings) => DeviceConfigJsonContext.Default.ButtonSettings,
            nameof(LedSettings) => DeviceConfigJsonContext.Default.LedSettings,
            nameof(DisplaySettings) => DeviceConfigJsonContext.Default.DisplaySettings,
            nameof(PixelSettings) => DeviceConfigJsonContext.Default.PixelSettings,
            nameof(StatusSettings) => DeviceConfigJsonContext.Default.StatusSettings,
            nameof(WebSettings) => DeviceConfigJsonContext.Default.WebSettings,
            nameof(WebUserSettings) => DeviceConfigJsonContext.Default.WebUserSettings,
            _ => null,
        };
        return info is null ? [] : info.Properties.Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The known key nearest to <paramref name="key"/> by edit distance, when it is near enough to be a typo.</summary>
    internal static string? Closest(string key, IReadOnlyList<string> known)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in known)
        {
            int d = Distance(key.ToLowerInvariant(), candidate);
            if (d < bestDistance)
            {
                bestDistance = d;
                best = candidate;
            }
        }
        return bestDistance <= Math.Max(2, key.Length / 3) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var row = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) row[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }

    [GeneratedRegex("property '(?<key>[^']*)' could not be mapped to any \\.NET member contained in type '(?<type>[^']*)'")]
    private static partial Regex UnmappedPattern();

    [GeneratedRegex("could not be converted to (?<type>[^.]+(\\.[A-Za-z0-9`\\[\\]]+)*)\\. Path")]
    private static partial Regex ConvertPattern();
}
