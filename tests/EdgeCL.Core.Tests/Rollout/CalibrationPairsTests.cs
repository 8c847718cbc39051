using EdgeCL.Core.Rollout;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Tests.Rollout;

public class CalibrationPairsTests
{
    private static readonly EmbeddingSpace Old = new("a1b2c3", 6);
    private static readonly EmbeddingSpace New = new("d4e5f6", 9);

    private static CalibrationPairs Pairs(int count, int seed = 1)
    {
        var random = new Random(seed);
        float[] Rows(int length) => Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        return CalibrationPairs.Create(Old, New, Rows(count * Old.Dimension), Rows(count * New.Dimension));
    }

    [Fact]
    public void Encode_Decode_RoundTripsBitForBit()
    {
        CalibrationPairs pairs = Pairs(17);
        CalibrationPairs back = CalibrationPairs.Decode(pairs.Encode());
        Assert.Equal(Old, back.Source);
        Assert.Equal(New, back.Target);
        Assert.Equal(17, back.Count);
        Assert.True(pairs.SourceRows.SequenceEqual(back.SourceRows));
        Assert.True(pairs.TargetRows.SequenceEqual(back.TargetRows));
        Assert.Equal(pairs.Encode(), back.Encode());
        Assert.Equal("a1b2c3.eccal", CalibrationPairs.FileNameFor(Old));
    }

    [Fact]
    public void Decode_AnyFlippedBitOrTruncation_IsOneLineErrorNeverWrongPairs()
    {
        byte[] good = Pairs(4).Encode();
        for (int i = 0; i < good.Length; i++)
        {
            byte[] bad = (byte[])good.Clone();
            bad[i] ^= (byte)(1 << (i % 8));
            var e = Assert.Throws<RolloutException>(() => CalibrationPairs.Decode(bad));
            Assert.DoesNotContain('\n', e.Message);
        }
        for (int length = 0; length < good.Length; length += 7)
        {
            var e = Assert.Throws<RolloutException>(() => CalibrationPairs.Decode(good.AsSpan(0, length)));
            Assert.DoesNotContain('\n', e.Message);
        }
        Assert.Contains("checksum", Assert.Throws<RolloutException>(() => CalibrationPairs.Decode(good.AsSpan(0, good.Length - 1))).Message);
        Assert.Contains("not an EdgeCL calibration file", Assert.Throws<RolloutException>(() => CalibrationPairs.Decode("PK\u0003\u0004 a zip file, not pairs"u8)).Message);
    }

    [Fact]
    public void Create_BadRows_AreRefused()
    {
        Assert.Contains("NaN", Assert.Throws<RolloutException>(() => CalibrationPairs.Create(Old, New, [float.NaN, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1], new float[18])).Message);
        Assert.Contains("not the same inputs", Assert.Throws<RolloutException>(() => CalibrationPairs.Create(Old, New, new float[12], new float[27])).Message);
        Assert.Contains("two different spaces", Assert.Throws<RolloutException>(() => CalibrationPairs.Create(Old, Old, new float[12], new float[12])).Message);
        Assert.Contains("2..", Assert.Throws<RolloutException>(() => CalibrationPairs.Create(Old, New, new float[6], new float[9])).Message);
    }

    [Fact]
    public void Pairs_FitTheMapThatMigrationUses()
    {
        // A known affine map old → new, recovered from the pairs alone: what a device with no exemplars fits.
        var random = new Random(3);
        var w = Enumerable.Range(0, New.Dimension * Old.Dimension).Select(_ => (float)random.NextDouble()).ToArray();
        int n = 40;
        var x = Enumerable.Range(0, n * Old.Dimension).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var y = new float[n * New.Dimension];
        for (int r = 0; r < n; r++)
            for (int a = 0; a < New.Dimension; a++)
                for (int b = 0; b < Old.Dimension; b++)
                    y[r * New.Dimension + a] += w[a * Old.Dimension + b] * x[r * Old.Dimension + b];
        CalibrationPairs pairs = CalibrationPairs.Decode(CalibrationPairs.Create(Old, New, x, y).Encode());
        SpaceMap map = SpaceMap.Fit(pairs.Source, pairs.Target, pairs.SourceRows, pairs.TargetRows, SpaceMapOptions.Default with { Kind = SpaceMapKind.Ridge, RidgeStrength = 1e-6 });
        Assert.True(map.Explained > 0.999, map.ToString());
    }
}
