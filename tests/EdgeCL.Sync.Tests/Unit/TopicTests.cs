using CsCheck;
using EdgeCL.Sync.Broker;
using EdgeCL.Sync.Commands;
using EdgeCL.Sync.Topics;

namespace EdgeCL.Sync.Tests.Unit;

public sealed class TopicTests
{
    [Theory]
    [InlineData("cat", "cat")]
    [InlineData("a/b", "a%2Fb")]
    [InlineData("x+y#z", "x%2By%23z")]
    [InlineData("50%", "50%25")]
    [InlineData("Grüße", "Gr%C3%BC%C3%9Fe")]
    [InlineData("two words", "two%20words")]
    public void EncodeLabel_SpecialCharacters_PercentEncodesUtf8(string label, string expected)
    {
        Assert.Equal(expected, TopicSegment.EncodeLabel(label));
        Assert.True(TopicSegment.TryDecodeLabel(expected, out string back));
        Assert.Equal(label, back);
    }

    [Fact]
    public void EncodeLabel_AnyString_RoundTripsAndIsOneSafeLevel()
    {
        Gen.String.Where(s => s.Length > 0 && !s.Any(char.IsSurrogate)).Sample(label =>
        {
            string encoded = TopicSegment.EncodeLabel(label);
            Assert.DoesNotContain('/', encoded);
            Assert.DoesNotContain('+', encoded);
            Assert.DoesNotContain('#', encoded);
            Assert.True(TopicSegment.TryDecodeLabel(encoded, out string back));
            Assert.Equal(label, back);
        });
    }

    [Theory]
    [InlineData("%2f")]     // lower-case hex is not canonical
    [InlineData("%41")]     // an unreserved character must not be escaped
    [InlineData("a%2")]     // truncated escape
    [InlineData("a b")]     // raw space
    [InlineData("%FF")]     // not UTF-8
    public void TryDecodeLabel_NonCanonical_IsRejected(string segment) => Assert.False(TopicSegment.TryDecodeLabel(segment, out _));

    [Fact]
    public void TryParse_ThreeFamilies_ParseAndOthersDoNot()
    {
        Assert.True(FleetTopics.TryParse(FleetTopics.Prototype("f1", "ab12", "dev-1", "a/b"), out FleetTopic p));
        Assert.Equal(new FleetTopic(FleetTopicKind.Prototype, "f1", "dev-1", "ab12", "a/b"), p);
        Assert.True(FleetTopics.TryParse("edgecl/v1/f1/status/dev-1", out FleetTopic s));
        Assert.Equal(FleetTopicKind.Status, s.Kind);
        Assert.True(FleetTopics.TryParse("edgecl/v1/f1/cmd/dev-1", out FleetTopic c));
        Assert.Equal(FleetTopicKind.Command, c.Kind);
        Assert.Null(c.CommandId);
        Assert.True(FleetTopics.TryParse(FleetTopics.Command("f1", "dev-1", "0a1b2c3d"), out FleetTopic ci));
        Assert.Equal(new FleetTopic(FleetTopicKind.Command, "f1", "dev-1", CommandId: "0a1b2c3d"), ci);
        Assert.False(FleetTopics.TryParse("edgecl/v1/f1/cmd/dev-1/a b", out _));
        Assert.False(FleetTopics.TryParse("edgecl/v1/f1/ab12/proto/dev-1", out _));
        Assert.False(FleetTopics.TryParse("edgecl/v2/f1/status/dev-1", out _));
        Assert.False(FleetTopics.TryParse("edgecl/v1/f1/ab12/proto/dev 1/cat", out _));
    }

    [Theory]
    [InlineData("s0", true)]
    [InlineData("d0", true)]
    [InlineData("s9999", true)]
    [InlineData("d12", true)]
    [InlineData("s00", false)]    // one name per part: no leading zeros
    [InlineData("s10000", false)] // over MaxBundleParts
    [InlineData("x1", false)]
    [InlineData("s", false)]
    [InlineData("s-1", false)]
    public void TryParse_AggregateBundleParts(string part, bool valid)
    {
        bool parsed = FleetTopics.TryParse($"edgecl/v1/f1/ab12/aggs/agg-1/{part}", out FleetTopic topic);
        Assert.Equal(valid, parsed);
        if (valid)
            Assert.Equal(new FleetTopic(FleetTopicKind.AggregateBundle, "f1", "agg-1", "ab12", part), topic);
    }

    [Fact]
    public void AggregateBundle_NamesSnapshotAndDeltaParts()
    {
        Assert.Equal("edgecl/v1/f1/ab12/aggs/agg-1/s3", FleetTopics.AggregateBundle("f1", "ab12", "agg-1", snapshot: true, 3));
        Assert.Equal("edgecl/v1/f1/ab12/aggs/agg-1/d0", FleetTopics.AggregateBundle("f1", "ab12", "agg-1", snapshot: false, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => FleetTopics.AggregateBundle("f1", "ab12", "agg-1", true, FleetTopics.MaxBundleParts));
        Assert.Equal("edgecl/v1/f1/ab12/aggs/#", FleetTopics.AggregateBundleFilter("f1", "ab12"));
        // Live bundles have a family of their own: the catch-up filter aggs/{id}/+ must not match them.
        Assert.Equal("edgecl/v1/f1/ab12/aggs-live/agg-1/cycle", FleetTopics.AggregateLive("f1", "ab12", "agg-1"));
        Assert.Equal("edgecl/v1/f1/ab12/aggs/agg-1/+", FleetTopics.AggregatorBundlesFilter("f1", "ab12", "agg-1"));
        Assert.True(FleetTopics.TryParse(FleetTopics.AggregateLive("f1", "ab12", "agg-1"), out FleetTopic live));
        Assert.Equal(new FleetTopic(FleetTopicKind.AggregateBundle, "f1", "agg-1", "ab12", FleetTopics.LivePart), live);
        Assert.False(FleetTopics.TryParseBundlePart(live.Label, out _, out _));
        Assert.False(FleetTopics.TryParse("edgecl/v1/f1/ab12/aggs-live/agg-1/s0", out _));
        Assert.False(FleetTopics.TryParse("edgecl/v1/f1/ab12/aggs/agg-1/live", out _));
    }

    [Theory]
    [InlineData("d0", "edgecl/v1/f/ab/proto/d0/cat", true)]
    [InlineData("d0", "edgecl/v1/f/status/d0", true)]
    [InlineData("d0", "edgecl/v1/f/ab/proto/d1/cat", false)]
    [InlineData("d0", "edgecl/v1/f/status/d1", false)]
    [InlineData("d0", "edgecl/v1/f/cmd/d0", false)]
    [InlineData("d0", "edgecl/v1/f/cmd/d0/0a1b2c3d", false)]
    [InlineData("d0", "other/topic", false)]
    [InlineData("agg1", "edgecl/v1/f/ab/aggs/agg1/s0", true)]
    [InlineData("d0", "edgecl/v1/f/ab/aggs/agg1/d0", false)]
    [InlineData("agg1", "edgecl/v1/f/ab/aggs-live/agg1/cycle", true)]
    [InlineData("d0", "edgecl/v1/f/ab/aggs-live/agg1/cycle", false)]
    public void CanPublish_Device_OnlyOwnEntriesAndStatus(string user, string topic, bool allowed) =>
        Assert.Equal(allowed, FleetAcl.CanPublish(user, false, topic));

    [Theory]
    [InlineData("edgecl/v1/f/ab/proto/#", true)]
    [InlineData("edgecl/v1/+/+/proto/#", true)]
    [InlineData("edgecl/v1/f/status/+", true)]
    [InlineData("edgecl/v1/f/cmd/d0", true)]
    [InlineData("edgecl/v1/f/cmd/d1", false)]
    [InlineData("edgecl/v1/f/cmd/+", false)]
    [InlineData("edgecl/v1/f/cmd/d0/+", true)]
    [InlineData("edgecl/v1/f/cmd/d0/0123abcd", true)]
    [InlineData("edgecl/v1/f/cmd/d1/+", false)]
    [InlineData("edgecl/v1/f/cmd/d0/#", false)]
    [InlineData("edgecl/v1/f/cmd/#", false)]
    [InlineData("edgecl/v1/f/#", false)]
    [InlineData("#", false)]
    [InlineData("edgecl/v1/f/+/+", false)]
    [InlineData("edgecl/v1/f/ab/aggs/#", true)]
    [InlineData("edgecl/v1/f/ab/aggs/#/s0", false)]
    [InlineData("edgecl/v1/f/ab/aggs-live/+/cycle", true)]
    public void CanSubscribe_Device_FleetEntriesStatusesAndOwnCommands(string filter, bool allowed) =>
        Assert.Equal(allowed, FleetAcl.CanSubscribe("d0", false, filter));

    [Fact]
    public void FleetCommand_RoundTripAndErrors()
    {
        var forget = new FleetCommand(FleetCommandKind.ForgetClass, "d0", Label: "cat", Id: "7");
        Assert.True(FleetCommand.TryParse(forget.ToPayload(), "d0", out FleetCommand? back, out _));
        Assert.Equal(forget, back);
        Assert.False(FleetCommand.TryParse("{\"v\":1,\"command\":\"forget_class\"}"u8, "d0", out _, out string e1));
        Assert.Contains("label", e1, StringComparison.Ordinal);
        Assert.False(FleetCommand.TryParse("{\"v\":2,\"command\":\"rebirth\"}"u8, "d0", out _, out _));
        Assert.False(FleetCommand.TryParse("{\"v\":1,\"command\":\"explode\"}"u8, "d0", out _, out _));
        Assert.False(FleetCommand.TryParse("not json"u8, "d0", out _, out _));
    }
}
