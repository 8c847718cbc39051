using EdgeCL.Eval.Shifts;

namespace EdgeCL.Eval.Tests.Shifts;

public class ShiftCatalogTests
{
    [Fact]
    public void ParseList_MixedList_CanonicalNamesAndParameters()
    {
        var shifts = ShiftCatalog.ParseList("clean, white:10, pink:0dB, reverb, gaussian:4, jpeg", 2);
        Assert.Equal(["clean", "white:10", "pink:0", "reverb", "gaussian_noise:4", "jpeg_compression:2"], shifts.Select(s => s.DomainName));
    }

    [Fact]
    public void ParseList_CorruptionsGroup_ExpandsToAllThirteen()
    {
        var shifts = ShiftCatalog.ParseList("corruptions:5", 1);
        Assert.Equal(13, shifts.Count);
        Assert.All(shifts, s => Assert.Equal(5, s.Severity));
    }

    [Theory]
    [InlineData("snowstorm", "Unknown shift 'snowstorm'; known: clean, white")]
    [InlineData("fog:6", "severity 6 is out of range; corruption severities are 1-5")]
    [InlineData("fog:0", "severity 0 is out of range")]
    [InlineData("white", "Shift 'white' needs an SNR in dB")]
    [InlineData("white:loud", "'loud' is not a number")]
    [InlineData("speed:3", "3 is out of range 0.5..2")]
    [InlineData("clean,white:10,white:10", "listed twice")]
    public void ParseList_BadItem_OneLineError(string list, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => ShiftCatalog.ParseList(list, 3));
        Assert.Contains(expected, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }
}
