using System.Text;
using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Commands;

namespace EdgeCL.Sync.Tests.Unit;

/// <summary>Signed commands (issue #14 item 5): a device acts once, in time, only on its own operator-signed commands.</summary>
public sealed class CommandVerifierTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
    private readonly EntrySigner _ops = EntrySigner.Create("ops");
    private readonly EntrySigner _stranger = EntrySigner.Create("ops");
    private readonly TrustStore _operators = new();
    private readonly CommandVerifier _verifier;

    public CommandVerifierTests()
    {
        _operators.Add("ops", _ops.ExportPublicKeyPem());
        _verifier = new CommandVerifier(_operators, "fleet1", "d0", new FixedTime(Now));
    }

    public void Dispose()
    {
        _ops.Dispose();
        _stranger.Dispose();
        _operators.Dispose();
    }

    private static byte[] Forget(EntrySigner key, string device = "d0", string fleet = "fleet1", TimeSpan? lifetime = null) =>
        SignedCommands.Sign(new FleetCommand(FleetCommandKind.ForgetClass, device, Label: "cat"), fleet, key, Now + (lifetime ?? TimeSpan.FromMinutes(5)));

    private CommandRejectReason Rejected(byte[] payload)
    {
        Assert.False(_verifier.TryAccept(payload, out _, out CommandRejectReason reason, out string detail));
        Assert.DoesNotContain('\n', detail);
        return reason;
    }

    [Fact]
    public void SignedCommand_IsAcceptedOnceThenReplayed()
    {
        byte[] payload = Forget(_ops);
        Assert.True(_verifier.TryAccept(payload, out FleetCommand? command, out _, out _));
        Assert.Equal(new FleetCommand(FleetCommandKind.ForgetClass, "d0", Label: "cat"), command with { Nonce = null });
        Assert.Matches("^[0-9a-f]{32}$", command.Nonce);
        Assert.Equal(CommandRejectReason.Replayed, Rejected(payload));
        Assert.True(_verifier.TryAccept(Forget(_ops), out _, out _, out _)); // a new nonce is a new command
    }

    [Fact]
    public void ExpiredForgedRedirectedOrUnsigned_AreRejectedWithTheirReason()
    {
        Assert.Equal(CommandRejectReason.Expired, Rejected(Forget(_ops, lifetime: TimeSpan.FromSeconds(-1))));
        Assert.Equal(CommandRejectReason.Malformed, Rejected(Forget(_ops, lifetime: TimeSpan.FromHours(2))));
        Assert.Equal(CommandRejectReason.Forged, Rejected(Forget(_stranger)));       // same name, another key
        Assert.Equal(CommandRejectReason.Forged, Rejected(Forget(_ops, device: "d1"))); // signed for another device
        Assert.Equal(CommandRejectReason.Forged, Rejected(Forget(_ops, fleet: "other")));
        using (EntrySigner unknown = EntrySigner.Create("eve"))
            Assert.Equal(CommandRejectReason.Unsigned, Rejected(Forget(unknown)));
        Assert.Equal(CommandRejectReason.Unsigned, Rejected(new FleetCommand(FleetCommandKind.Rebirth, "d0").ToPayload()));
        Assert.Equal(CommandRejectReason.Malformed, Rejected(Encoding.UTF8.GetBytes("{not json")));
        // A body altered after signing (here: the label) no longer verifies.
        string tampered = Encoding.UTF8.GetString(Forget(_ops));
        string body = tampered.Split("\"body\":\"")[1].Split('"')[0];
        string altered = Convert.ToBase64String(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Convert.FromBase64String(body)).Replace("\"cat\"", "\"dog\"", StringComparison.Ordinal)));
        Assert.Equal(CommandRejectReason.Forged, Rejected(Encoding.UTF8.GetBytes(tampered.Replace(body, altered, StringComparison.Ordinal))));
    }

    [Fact]
    public void AcceptedNonces_SurviveARestart_SoACapturedCommandIsNotReplayedAfterOne()
    {
        string dir = Directory.CreateTempSubdirectory("edgecl-nonces-").FullName;
        try
        {
            string path = Path.Combine(dir, "command-nonces");
            byte[] captured = Forget(_ops);
            var before = new CommandVerifier(_operators, "fleet1", "d0", new FixedTime(Now), path);
            Assert.Null(before.LoadProblem);
            Assert.True(before.TryAccept(captured, out _, out _, out _));
            var afterRestart = new CommandVerifier(_operators, "fleet1", "d0", new FixedTime(Now + TimeSpan.FromMinutes(1)), path);
            Assert.False(afterRestart.TryAccept(captured, out _, out CommandRejectReason reason, out _));
            Assert.Equal(CommandRejectReason.Replayed, reason);
            // Once the command has expired its nonce is dropped from the file; the command is refused as expired.
            var muchLater = new CommandVerifier(_operators, "fleet1", "d0", new FixedTime(Now + TimeSpan.FromMinutes(10)), path);
            Assert.False(muchLater.TryAccept(captured, out _, out reason, out _));
            Assert.Equal(CommandRejectReason.Expired, reason);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void UnreadableNonces_AreOneLineAndForgotten_AndANonceThatCannotBeWritten_IsNotActedOn()
    {
        string dir = Directory.CreateTempSubdirectory("edgecl-nonces-").FullName;
        try
        {
            string path = Path.Combine(dir, "command-nonces");
            File.WriteAllText(path, "garbage\n");
            var verifier = new CommandVerifier(_operators, "fleet1", "d0", new FixedTime(Now), path);
            Assert.Contains("is not a list of command nonces", verifier.LoadProblem, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', verifier.LoadProblem!);
            // The nonce file's place is taken by a folder: the write fails, so the command is refused and not remembered.
            File.Delete(path);
            Directory.CreateDirectory(path);
            byte[] payload = Forget(_ops);
            Assert.False(verifier.TryAccept(payload, out FleetCommand? command, out _, out string detail));
            Assert.Null(command);
            Assert.Contains("cannot be remembered", detail, StringComparison.Ordinal);
            Directory.Delete(path);
            Assert.True(verifier.TryAccept(payload, out _, out _, out _)); // once it can be written, it is acted on
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void NoOperatorKeys_RefusesEveryCommand()
    {
        var verifier = new CommandVerifier(null, "fleet1", "d0", new FixedTime(Now));
        Assert.False(verifier.TryAccept(Forget(_ops), out _, out CommandRejectReason reason, out _));
        Assert.Equal(CommandRejectReason.Unsigned, reason);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
