namespace EdgeCL.Eval.Shifts;

/// <summary>What an audio shift needs besides the clip.</summary>
/// <param name="SampleRate">Sample rate of the clip (the backbone's).</param>
/// <param name="ClipSamples">Length of the front end's clip buffer (1.5 s = 24,000): the clip is centred in it
/// before the shift, exactly as the front end would, so noise covers the whole buffer the model sees.</param>
/// <param name="SampleSeed">Seed of this sample's noise (from the run seed, the file and the shift).</param>
/// <param name="RunSeed">Seed of the run: fixes per-run constants such as the room impulse response.</param>
/// <param name="Babble">Clips mixed by <c>babble</c>; null when no babble shift is used.</param>
/// <param name="ExcludeIndex">Babble index of the clip itself (never mixed into its own babble), or −1.</param>
public sealed record AudioShiftContext(int SampleRate, int ClipSamples, ulong SampleSeed, long RunSeed, IBabbleSource? Babble = null, int ExcludeIndex = -1);
