using EdgeCL.Device.Config;
using EdgeCL.Device.Sources;

namespace EdgeCL.Device.Agent;

/// <summary>
/// Keywords are said on their own: with a pause before them and no speech running on after them. Talk is not: its words
/// follow each other with pauses of about a quarter of a second, and its phrases run past the VAD's maximum utterance.
/// An utterance that breaks either rule is answered "unknown" before the learner sees it (so nothing adapts to it).
/// </summary>
/// <remarks>Speech and pauses are the foreground's: speech more than <c>vad.foreground_db</c> (15 dB) below an utterance's
/// loudest part, such as a television behind the speaker, is background (<see cref="Audio.ChunkLevels"/>), so a keyword said
/// over it is still an isolated word. Measured through the real agent and its VAD in README, "Isolated words". Applies to
/// live audio only; files and frames carry no <see cref="SpeechTiming"/>.</remarks>
public static class IsolatedWordGate
{
    /// <summary>Why <paramref name="timing"/> is not an isolated word (a counter name: <c>long-speech</c>, <c>no-pause</c>,
    /// <c>after-talk</c>), or null when it is one or is not live audio.</summary>
    public static string? Reject(SpeechTiming? timing, RecognitionSettings settings)
    {
        if (timing is not { } t)
            return null;
        if (settings.MaxWordMs > 0 && (t.PartOfLongerSpeech || t.SpeechMs > settings.MaxWordMs))
            return "long-speech";
        if (settings.MinPauseBeforeMs > 0 && t.PauseBeforeMs < settings.MinPauseBeforeMs)
            return "no-pause";
        // After talk the pause must be longer: the talk accepted with one pause rule came after sentence ends, 0.40–0.56 s.
        if (t.FollowsTalk && t.PauseBeforeMs < settings.MinPauseAfterTalkMs)
            return "after-talk";
        return null;
    }
}
