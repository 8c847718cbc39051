using EdgeCL.Device.Config;
using EdgeCL.Device.Sources;

namespace EdgeCL.Device.Agent;

/// <summary>
/// Keywords are said on their own: with a pause before them and no speech running on after them. Talk is not: its words
/// follow each other with pauses of about a quarter of a second, and its phrases run past the VAD's maximum utterance.
/// An utterance that breaks either rule is answered "unknown" before the learner sees it (so nothing adapts to it).
/// </summary>
/// <remarks>Measured through the real agent and its VAD (README, "Isolated words"): on independent set 1 (tuning),
/// continuous talk went from 577 accepted utterances per hour to 2, and no taught word said after a pause was lost.
/// Applies to live audio only; files and frames carry no <see cref="SpeechTiming"/>.</remarks>
internal static class IsolatedWordGate
{
    /// <summary>Why <paramref name="timing"/> is not an isolated word (a counter name), or null when it is one or is not live audio.</summary>
    public static string? Reject(SpeechTiming? timing, RecognitionSettings settings)
    {
        if (timing is not { } t)
            return null;
        if (settings.MaxWordMs > 0 && (t.PartOfLongerSpeech || t.SpeechMs > settings.MaxWordMs))
            return "long-speech";
        if (settings.MinPauseBeforeMs > 0 && t.PauseBeforeMs < settings.MinPauseBeforeMs)
            return "no-pause";
        return null;
    }
}
