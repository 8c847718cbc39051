// Embeds OUT/{support,test}/<word>/*.wav (ops/data/make-keywords.sh) with the speech backbone and times it.
//   dotnet run -c Release --project ops/eval/KwsEmbed -- models/speech/backbone.json DATA EMB_PREFIX
// Writes EMB_PREFIX.tsv (split, word, file per row) and EMB_PREFIX.f32 (rows × 96 float32, little-endian),
// then prints the median and mean milliseconds per clip for EmbedFile (WAV read + front end + both models) and for
// EmbedPcm alone (samples already in memory: front end + mel + embedding model).
using System.Diagnostics;
using System.Globalization;
using EdgeCL.Onnx.Audio;
using EdgeCL.Onnx.Backbones;

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: KwsEmbed MANIFEST DATA_DIR OUT_PREFIX");
    return 2;
}
using SpeechBackbone backbone = SpeechBackbone.FromManifestFile(args[0]);
var rows = new List<string>();
var times = new List<double>();
float[] e = new float[backbone.Space.Dimension];
string first = Directory.EnumerateFiles(Path.Combine(args[1], "test"), "*.wav", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
for (int i = 0; i < 20; i++)
    backbone.EmbedFile(first, e); // warm-up
using var bin = new BinaryWriter(File.Create(args[2] + ".f32"));
foreach (string split in new[] { "support", "test" })
{
    foreach (string wordDir in Directory.GetDirectories(Path.Combine(args[1], split)).Order(StringComparer.Ordinal))
    {
        foreach (string file in Directory.GetFiles(wordDir, "*.wav").Order(StringComparer.Ordinal))
        {
            long t0 = Stopwatch.GetTimestamp();
            backbone.EmbedFile(file, e);
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            foreach (float v in e)
                bin.Write(v);
            rows.Add($"{split}\t{Path.GetFileName(wordDir)}\t{Path.GetFileName(file)}");
        }
    }
}
File.WriteAllLines(args[2] + ".tsv", rows);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"space {backbone.Space}, provider {backbone.ActiveProvider}, {rows.Count} clips"));
Report("EmbedFile", times);

// EmbedPcm alone, over the same clips held in memory.
var clips = Directory.GetFiles(args[1], "*.wav", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
    .Select(f => WavReader.ReadMono(f, backbone.SampleRate)).ToList();
times.Clear();
foreach (float[] clip in clips)
{
    long t0 = Stopwatch.GetTimestamp();
    backbone.EmbedPcm(clip, e);
    times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
}
Report("EmbedPcm", times);
return 0;

static void Report(string what, List<double> times)
{
    times.Sort();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{what}: median {times[times.Count / 2]:F2} ms, mean {times.Average():F2} ms, p90 {times[times.Count * 9 / 10]:F2} ms per 1.5 s clip"));
}
