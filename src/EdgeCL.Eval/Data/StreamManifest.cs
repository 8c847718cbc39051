using System.Text.Json;
using EdgeCL.Core.Evaluation;
using EdgeCL.Eval.Reporting;
using EdgeCL.Eval.Shifts;
using EdgeCL.Onnx.Errors;

namespace EdgeCL.Eval.Data;

/// <summary>Reads a JSON Lines stream manifest (see <see cref="ManifestLine"/>) that fixes the stream's order.</summary>
public static class StreamManifest
{
    /// <summary>Reads and checks a manifest; every file must exist.</summary>
    /// <param name="path">The .jsonl file.</param>
    /// <param name="defaultSeverity">Severity of image corruptions named without one.</param>
    /// <param name="seed">The run's seed (recorded in the stream).</param>
    /// <exception cref="InputFormatException">Unreadable, malformed line, missing file, inconsistent label/shift, mixed file types.</exception>
    /// <exception cref="ArgumentException">An unknown shift name or a severity out of range.</exception>
    public static ManifestStream Load(string path, int defaultSeverity, long seed)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new InputFormatException($"Manifest '{path}' does not exist.");
        string baseDir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var lines = new List<(int Number, ManifestLine Line, string File)>();
        int number = 0;
        foreach (string text in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(text))
                continue;
            ManifestLine? line;
            try
            {
                line = JsonSerializer.Deserialize(text, EvalJsonContext.Default.ManifestLine);
            }
            catch (JsonException ex)
            {
                throw new InputFormatException($"Manifest '{path}' line {number} is not valid JSON ({FirstSentence(ex.Message)}); each line is one object such as {{\"path\": \"a.wav\", \"label\": \"yes\", \"labelled\": true}}.", ex);
            }
            if (line?.Path is not { Length: > 0 } || line.Label is not { Length: > 0 })
                throw new InputFormatException($"Manifest '{path}' line {number} needs \"path\" and \"label\".");
            string file = Path.GetFullPath(Path.Combine(baseDir, line.Path));
            if (!File.Exists(file))
                throw new InputFormatException($"Manifest '{path}' line {number} names '{line.Path}', which does not exist.");
            if (DatasetLoader.KindOf(file) is null)
                throw new InputFormatException($"Manifest '{path}' line {number} names '{line.Path}', which is neither WAV nor an image.");
            lines.Add((number, line, file));
        }
        if (lines.Count == 0)
            throw new InputFormatException($"Manifest '{path}' has no lines.");

        // Items (one per file), domains (first appearance; the first is the source) and their shifts.
        var items = new List<DatasetItem>();
        var itemIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var domains = new List<string>();
        var shifts = new List<ShiftSpec>();
        var kinds = new HashSet<DatasetKind>();
        var samples = new List<StreamSample>();
        var sampleIndex = new Dictionary<(int, int), int>();
        var lineSample = new int[lines.Count];
        for (int i = 0; i < lines.Count; i++)
        {
            var (n, line, file) = lines[i];
            kinds.Add(DatasetLoader.KindOf(file)!.Value);
            if (kinds.Count > 1)
                throw new InputFormatException($"Manifest '{path}' mixes audio and image files (line {n}); one stream holds one kind of sample.");
            ShiftSpec shift = line.Shift is null ? ShiftSpec.Clean : SingleShift(line.Shift, defaultSeverity, path, n);
            string domain = line.Domain ?? shift.DomainName;
            int d = domains.IndexOf(domain);
            if (d < 0)
            {
                domains.Add(domain);
                shifts.Add(shift);
                d = domains.Count - 1;
            }
            else if (shifts[d] != shift)
                throw new InputFormatException($"Manifest '{path}' line {n}: domain '{domain}' has shift '{shift}' here but '{shifts[d]}' earlier; give each domain one shift.");
            if (!itemIndex.TryGetValue(file, out int item))
            {
                item = items.Count;
                itemIndex[file] = item;
                items.Add(new DatasetItem(file, Path.GetRelativePath(baseDir, file).Replace('\\', '/'), -1, line.Label!, null));
            }
            else if (items[item].Label != line.Label)
                throw new InputFormatException($"Manifest '{path}' line {n}: '{line.Path}' is labelled '{line.Label}' here but '{items[item].Label}' earlier.");
            if (!sampleIndex.TryGetValue((item, d), out int s))
            {
                s = samples.Count;
                sampleIndex[(item, d)] = s;
                samples.Add(new StreamSample(item, d, line.Label!));
            }
            lineSample[i] = s;
        }

        // Steps and tasks: explicit task numbers, or a new task whenever the domain changes.
        var streamLines = Enumerable.Range(0, lines.Count).Where(i => lines[i].Line.Heldout != true).ToList();
        bool explicitTasks = lines.Any(l => l.Line.Task is not null);
        var taskNames = new List<string>();
        var steps = new List<StreamStep>();
        var taskOfStreamLine = new Dictionary<int, int>();
        int? previousDomain = null, previousTask = null;
        foreach (int i in streamLines)
        {
            var (n, line, _) = lines[i];
            int d = samples[lineSample[i]].Domain;
            int task;
            if (explicitTasks)
            {
                if (line.Task is not int t || t < 0)
                    throw new InputFormatException($"Manifest '{path}' line {n} has no \"task\" (or a negative one) while other lines do; give every stream line a task or none.");
                if (previousTask is int p && t < p)
                    throw new InputFormatException($"Manifest '{path}' line {n}: task {t} comes after task {p}; tasks must not decrease.");
                while (taskNames.Count <= t)
                    taskNames.Add($"task {taskNames.Count}");
                task = t;
                previousTask = t;
            }
            else
            {
                if (previousDomain != d)
                {
                    int repeat = taskNames.Count(name => name == domains[d] || name.StartsWith(domains[d] + "#", StringComparison.Ordinal));
                    taskNames.Add(repeat == 0 ? domains[d] : $"{domains[d]}#{repeat + 1}");
                }
                task = taskNames.Count - 1;
                previousDomain = d;
            }
            taskOfStreamLine[i] = task;
            steps.Add(new StreamStep(lineSample[i], line.Labelled == true, task));
        }
        if (steps.Count == 0)
            throw new InputFormatException($"Manifest '{path}' has only held-out lines; the stream needs steps.");

        // Held-out sets: by explicit task, else by domain (introduced with the first task in that domain).
        var sets = new List<EvaluationSet>();
        foreach (var group in Enumerable.Range(0, lines.Count).Where(i => lines[i].Line.Heldout == true)
                     .GroupBy(i => explicitTasks ? lines[i].Line.Task ?? 0 : samples[lineSample[i]].Domain))
        {
            int key = group.Key;
            int domain = samples[lineSample[group.First()]].Domain;
            int task;
            string name;
            if (explicitTasks)
            {
                task = Math.Min(key, taskNames.Count - 1);
                name = $"task {key}";
            }
            else
            {
                int first = streamLines.FirstOrDefault(i => samples[lineSample[i]].Domain == key, -1);
                task = first < 0 ? 0 : taskOfStreamLine[first];
                name = domains[key];
            }
            sets.Add(new EvaluationSet(name, task, domain, group.Select(i => lineSample[i]).Distinct().ToList()));
        }

        var dataset = new Dataset(path, kinds.Single(), items, null, 0);
        var stream = new EvaluationStream
        {
            Protocol = "manifest",
            Seed = seed,
            Domains = domains,
            Tasks = taskNames,
            Samples = samples,
            Steps = steps,
            Sets = sets,
        };
        try
        {
            stream.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new InputFormatException($"Manifest '{path}': {ex.Message}", ex);
        }
        return new ManifestStream(dataset, shifts, stream);
    }

    private static ShiftSpec SingleShift(string text, int defaultSeverity, string path, int line)
    {
        IReadOnlyList<ShiftSpec> parsed = ShiftCatalog.ParseList(text, defaultSeverity);
        if (parsed.Count != 1)
            throw new InputFormatException($"Manifest '{path}' line {line}: \"shift\" names {parsed.Count} shifts; give exactly one.");
        return parsed[0];
    }

    private static string FirstSentence(string message)
    {
        int i = message.IndexOf(". ", StringComparison.Ordinal);
        return i < 0 ? message : message[..(i + 1)];
    }
}
