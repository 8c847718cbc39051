namespace EdgeCL.Device.Sources;

/// <summary>When an utterance of a live audio stream was said, relative to the speech around it.</summary>
/// <param name="SpeechMs">From the first to the last speech chunk (pre-roll and hangover excluded).</param>
/// <param name="PauseBeforeMs">Silence before the speech; <see cref="double.PositiveInfinity"/> when nothing was said before it
/// in this stream. 0 for the rest of a cut utterance.</param>
/// <param name="PartOfLongerSpeech">The speech went on past <c>vad.max_utterance_ms</c>: the utterance was cut there, or is the
/// rest after such a cut.</param>
/// <param name="FollowsTalk">The utterance before it in this stream was itself answered "unknown" by the isolated-word rule
/// (talk), so a short phrase said just after a sentence is judged by the longer pause talk needs.</param>
public readonly record struct SpeechTiming(double SpeechMs, double PauseBeforeMs, bool PartOfLongerSpeech, bool FollowsTalk = false);
