using System.Buffers;
using System.Text.Json;
using EdgeCL.Device.Agent;

namespace EdgeCL.Web.Page;

/// <summary>One sample's <c>sample</c> event: time, source, outcome, label (or unknown), score against the threshold, latency.</summary>
internal static class RecognitionEvent
{
    public static byte[] Format(AgentResult result, float threshold)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            json.WriteString("source", result.Source);
            json.WriteString("origin", result.Origin);
            json.WriteString("outcome", result.Outcome switch
            {
                AgentOutcome.Recognised => "recognised",
                AgentOutcome.Unknown => "unknown",
                AgentOutcome.Learned => "learned",
                _ => "rejected",
            });
            if (result.Label is { } label)
                json.WriteString("label", label);
            if (result.Prediction is { } p)
            {
                if (p.Label is { } best)
                    json.WriteString("best", best);
                json.WriteNumber("score", Math.Round(p.Score, 4));
                json.WriteNumber("confidence", Math.Round(p.Confidence, 4));
            }
            json.WriteNumber("threshold", threshold);
            json.WriteNumber("latency_ms", Math.Round(result.LatencyMs, 2));
            if (result.Reason is { } reason)
                json.WriteString("reason", reason);
            json.WriteEndObject();
        }
        return DevicePage.Sse("sample", buffer.WrittenSpan);
    }
}
