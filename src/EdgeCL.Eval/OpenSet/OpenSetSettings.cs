using System.Globalization;
using EdgeCL.Core.Learning.OpenSet;
using EdgeCL.Onnx.Sessions;

namespace EdgeCL.Eval.OpenSet;

/// <summary>What <c>edgecl eval --unknown DIR</c> measures: a learner taught k shots per class, then one unbroken stream
/// of its classes' test clips mixed with material that belongs to no class, condition after condition.</summary>
public sealed record OpenSetSettings
{
    /// <summary>Labelled data, folder-per-class (the shots are drawn from it).</summary>
    public required string Data { get; init; }

    /// <summary>Taught-class test clips (folder-per-class); default: what the shots leave of <see cref="Data"/>.</summary>
    public string? Test { get; init; }

    /// <summary>Untaught material: <c>DIR/&lt;group&gt;/file</c> (e.g. near, other, noise, speech); files longer than two
    /// clips are continuous audio, heard as <see cref="Talk"/> says.</summary>
    public required string Unknown { get; init; }

    /// <summary>Optional folder whose files are taught as the background class before the stream.</summary>
    public string? Background { get; init; }

    /// <summary>How continuous audio is heard: through the device's VAD and isolated-word rule (default), or as sliding
    /// clip-length windows every half clip with no VAD (the classifier alone).</summary>
    public TalkFrontEnd Talk { get; init; } = TalkFrontEnd.Device;

    /// <summary>With <see cref="TalkFrontEnd.Device"/>: the VAD settings (a device config's pcm source; default: shipped).</summary>
    public EdgeCL.Device.Config.VadSettings Vad { get; init; } = new();

    /// <summary>With <see cref="TalkFrontEnd.Device"/>: the isolated-word rule (a device config's <c>recognition</c>; default: shipped).</summary>
    public EdgeCL.Device.Config.RecognitionSettings Recognition { get; init; } = new();

    /// <summary>Backbone name or path.</summary>
    public required string Backbone { get; init; }

    /// <summary>Models folder.</summary>
    public string? ModelsRoot { get; init; }

    /// <summary>Provider chain and threads.</summary>
    public SessionOptionsSpec Sessions { get; init; } = SessionOptionsSpec.Default;

    /// <summary>Methods (learner names).</summary>
    public IReadOnlyList<string> Methods { get; init; } = ["ncm-centred"];

    /// <summary>Method parameters.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Conditions in stream order (default clean).</summary>
    public string? Shifts { get; init; }

    /// <summary>Labelled examples per class.</summary>
    public int Shots { get; init; } = 8;

    /// <summary>Label-correlated order of the taught-class clips within each condition: a Dirichlet concentration γ
    /// (<see cref="EdgeCL.Core.Evaluation.LabelCorrelation"/>; 0.1 = long runs of one word), or 0 for a shuffled order. The
    /// untaught material is interleaved at random between them either way.</summary>
    public double Correlation { get; init; }

    /// <summary>Seed of the shot draw and the stream order.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>The open-set threshold the learners run with.</summary>
    public float Threshold { get; init; } = OpenSetOptions.DefaultThreshold;

    /// <summary>Other thresholds reported from the recorded scores.</summary>
    public IReadOnlyList<float> OperatingPoints { get; init; } = [0.30f, 0.50f];

    /// <summary>False alarms corrected (taught as the negative class of the label they were answered with) in the second pass.</summary>
    public int Corrections { get; init; } = 10;

    /// <summary>Output folder.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Where to also write the stream's exact embeddings for peers (<c>--export DIR</c>), or null.</summary>
    public string? ExportDirectory { get; init; }

    /// <summary>Validates everything that needs no file.</summary>
    /// <exception cref="ArgumentException">One line naming the setting and the fix.</exception>
    public void Validate()
    {
        new OpenSetOptions { Threshold = Threshold }.Validate();
        foreach (float t in OperatingPoints)
            new OpenSetOptions { Threshold = t }.Validate();
        if (Correlation != 0)
            EdgeCL.Core.Evaluation.LabelCorrelation.Check(Correlation);
        if (Shots < 1)
            throw new ArgumentException($"--shots {Shots} must be at least 1.");
        if (Corrections is < 0 or > 10_000)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--corrections {Corrections} is out of range 0..10000."));
        if (!Directory.Exists(Unknown))
            throw new ArgumentException($"--unknown '{Unknown}' is not a folder; give a folder of untaught material (DIR/<group>/file).");
        if (Background is not null && !Directory.Exists(Background))
            throw new ArgumentException($"--background '{Background}' is not a folder; give a folder of files to teach as the background class.");
    }
}

/// <summary>How <c>eval --unknown</c> hears continuous audio (<c>--talk</c>).</summary>
public enum TalkFrontEnd
{
    /// <summary>As the agent's pcm source: Silero VAD, the isolated-word rule before embedding, one sample per utterance.</summary>
    Device,

    /// <summary>Clip-length windows every half clip, no VAD: what the classifier alone accepts.</summary>
    Windows,
}
