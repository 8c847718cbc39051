using System.Text.Json;
using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Commands;

namespace EdgeCL.Fuzz.Targets;

/// <summary>
/// An MQTT command payload as a device receives it (<see cref="CommandVerifier.TryAccept"/>: envelope JSON, operator
/// signature, signed body JSON, fleet/device/nonce/expiry, the command itself), plus the version-1 parser
/// (<see cref="FleetCommand.TryParse"/>). Both answer bad input with false and a reason and must never throw.
/// </summary>
/// <remarks>The input is also signed as a body by the trusted operator key and wrapped in an envelope, so mutations reach the
/// body parser and the command checks behind the signature.</remarks>
internal sealed class CommandTarget : IFuzzTarget
{
    /// <summary>The clock every command in the corpus was made for (their expiries are a few minutes after it).</summary>
    public static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly EntrySigner _operator = FuzzKeys.Operator();
    private readonly TrustStore _operators;
    private readonly FixedClock _clock = new(Now);

    public CommandTarget() => _operators = FuzzKeys.Trusting(_operator);

    public string Name => "command";

    public void Run(byte[] input)
    {
        // A fresh verifier each time: what one input taught it (nonces) must not decide the next input's path.
        var verifier = new CommandVerifier(_operators, FuzzKeys.Fleet, FuzzKeys.DeviceId, _clock);
        verifier.TryAccept(input, out _, out _, out _);
        FleetCommand.TryParse(input, FuzzKeys.DeviceId, out _, out _);

        byte[] signature = new byte[FleetEntryCodec.SignatureLength];
        _operator.Sign(input, signature);
        new CommandVerifier(_operators, FuzzKeys.Fleet, FuzzKeys.DeviceId, _clock).TryAccept(Envelope(input, signature), out _, out _, out _);
    }

    /// <summary>The version-2 envelope SignedCommands.Sign writes: {"v":2,"operator":..,"body":base64,"sig":base64}.</summary>
    public static byte[] Envelope(byte[] body, byte[] signature)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("v", 2);
            w.WriteString("operator", FuzzKeys.OperatorId);
            w.WriteBase64String("body", body);
            w.WriteBase64String("sig", signature);
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
