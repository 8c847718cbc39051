using System.Buffers.Binary;
using CsCheck;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Vectors;
using Xunit.Abstractions;

namespace EdgeCL.Core.Tests.Fleet;

public sealed class FleetEntryCodecTests(ITestOutputHelper output) : IDisposable
{
    private const string SpaceId = "0123456789abcdef";
    private readonly EntrySigner _signer = EntrySigner.Create("dev-0001");

    public void Dispose() => _signer.Dispose();

    private static FleetEntry Entry(int dimension, long version = 123, long count = 77, int seed = 1, string label = "yes")
    {
        var rng = new Random(seed);
        return new FleetEntry
        {
            SpaceId = SpaceId,
            DeviceId = "dev-0001",
            Label = label,
            Version = version,
            Count = count,
            Mean = TestVectors.Random(rng, dimension),
        };
    }

    [Theory]
    [InlineData(1)]
    [InlineData(96)]
    [InlineData(512)]
    public void TryDecode_Float32Payload_RoundTripsExactly(int dimension)
    {
        FleetEntry e = Entry(dimension);
        byte[] payload = FleetEntryCodec.Encode(e, FleetVectorType.Float32, _signer);
        Assert.Equal(FleetEntryCodec.GetEncodedLength(e, FleetVectorType.Float32), payload.Length);
        Assert.True(FleetEntryCodec.TryDecode(payload, out FleetEntry? back, out FleetDecodeError error), error.ToString());
        Assert.Equal(0, FleetEntryOrder.Compare(e, back));
        Assert.Equal(e.SpaceId, back.SpaceId);
        Assert.Equal(e.DeviceId, back.DeviceId);
        Assert.Equal(e.Label, back.Label);
    }

    [Fact]
    public void TryDecode_RandomEntries_RoundTrip()
    {
        var gen = Gen.Select(Gen.Int[1, 64], Gen.Long[1, long.MaxValue], Gen.Long[0, FleetLimits.MaxCount], Gen.Int[1, 40], Gen.Char["abcdefghijklmnopqrstuvwxyzé中 "].Array[1, 30].Select(c => new string(c)));
        gen.Sample((digits, version, count, dimension, rawLabel) =>
        {
            string label = rawLabel.Trim();
            if (label.Length == 0)
                label = "x";
            var e = new FleetEntry
            {
                SpaceId = new string('a', digits - 1) + "7",
                DeviceId = "dev-0001",
                Label = label,
                Version = version,
                Count = count,
                Mean = count == 0 ? [] : TestVectors.Random(new Random(dimension), dimension),
            };
            byte[] payload = FleetEntryCodec.Encode(e, FleetVectorType.Float32, _signer);
            return FleetEntryCodec.TryDecode(payload, out FleetEntry? back, out _)
                && FleetEntryOrder.Compare(e, back) == 0 && back.SpaceId == e.SpaceId && back.Label == e.Label;
        }, iter: 500);
    }

    [Fact]
    public void TryDecode_ReusesTheStringsOfEarlierDecodes_AndStillRefusesABadLabelWithTheSameStart()
    {
        // A receiver decodes the same space, device and label in message after message: shared, not allocated again.
        byte[] first = FleetEntryCodec.Encode(Entry(4, version: 1), FleetVectorType.Float32, _signer);
        byte[] second = FleetEntryCodec.Encode(Entry(4, version: 2), FleetVectorType.Float32, _signer);
        Assert.True(FleetEntryCodec.TryDecode(first, out FleetEntry? a, out _));
        Assert.True(FleetEntryCodec.TryDecode(second, out FleetEntry? b, out _));
        Assert.Same(a.Label, b.Label);
        Assert.Same(a.DeviceId, b.DeviceId);
        Assert.Same(a.SpaceId, b.SpaceId);
        // More distinct labels than the set keeps: every one still decodes to its own text.
        for (int i = 0; i < 3000; i++)
        {
            byte[] payload = FleetEntryCodec.Encode(Entry(4, label: $"class-{i}"), FleetVectorType.Float32, _signer);
            Assert.True(FleetEntryCodec.TryDecode(payload, out FleetEntry? e, out _));
            Assert.Equal($"class-{i}", e.Label);
        }
        // A label held as a string does not vouch for a different one: a control character is still refused.
        byte[] bad = FleetEntryCodec.Encode(Entry(4, label: "yes"), FleetVectorType.Float32, _signer);
        int at = bad.AsSpan().IndexOf("yes"u8);
        bad[at + 2] = 0x07;
        Assert.False(FleetEntryCodec.TryDecode(bad, out _, out FleetDecodeError error));
        Assert.Equal(FleetDecodeError.BadLabel, error);
    }

    [Fact]
    public void TryDecode_Tombstone_RoundTrips()
    {
        FleetEntry e = Entry(1) with { Count = 0, Mean = [] };
        byte[] payload = FleetEntryCodec.Encode(e, FleetVectorType.Float16, _signer);
        Assert.True(FleetEntryCodec.TryDecode(payload, out FleetEntry? back, out _));
        Assert.True(back.IsTombstone);
        Assert.Empty(back.Mean);
    }

    [Fact]
    public void TryDecode_Float16Payload_RelativeErrorAtMostTwoToMinus11()
    {
        // Binary16 has an 11-bit significand: round-to-nearest gives |x̂ − x| ≤ 2^-11·|x| for |x| ≥ 2^-14 (normal range)
        // and ≤ 2^-25 absolute in the subnormal range.
        Gen.Float[-65000f, 65000f].Array[1, 64].Sample(values =>
        {
            FleetEntry e = Entry(values.Length) with { Mean = values };
            FleetEntryCodec.TryDecode(FleetEntryCodec.Encode(e, FleetVectorType.Float16, _signer), out FleetEntry? back, out _);
            for (int i = 0; i < values.Length; i++)
            {
                double x = values[i], err = Math.Abs(back!.Mean[i] - x);
                double bound = Math.Abs(x) >= Math.Pow(2, -14) ? Math.Pow(2, -11) * Math.Abs(x) : Math.Pow(2, -25);
                if (err > bound)
                    return false;
            }
            return true;
        }, iter: 2000);
    }

    [Fact]
    public void Encode_Float16BeyondRange_ThrowsSayingUseFloat32()
    {
        FleetEntry e = Entry(3) with { Mean = [1f, 70000f, 2f] };
        var ex = Assert.Throws<ArgumentException>(() => FleetEntryCodec.Encode(e, FleetVectorType.Float16, _signer));
        Assert.Contains("Float32", ex.Message);
    }

    [Fact]
    public void Encode_EntryOfAnotherDevice_Throws()
    {
        FleetEntry e = Entry(3) with { DeviceId = "someone-else" };
        Assert.Throws<ArgumentException>(() => FleetEntryCodec.Encode(e, FleetVectorType.Float32, _signer));
    }

    [Fact]
    public void TryGetPrototype_Float16Transport_WithinStatedBoundOfFloat32()
    {
        // Fleet prototype P = Σ w_d μ_d with w_d = n_d/Σn. With fp16 transport each μ_d element moves by at most
        // 2^-11·|μ_d| (normal) or 2^-25 (subnormal), so |P16 − P32| ≤ 2^-11·Σ w_d|μ_d| + 2^-25, plus one float
        // rounding of each result (2^-24 relative).
        var space = new EmbeddingSpace(SpaceId, 96);
        Gen.Select(Gen.Int[1, 8], Gen.Int[0, int.MaxValue]).Sample((devices, seed) =>
        {
            var rng = new Random(seed);
            var p32 = new FleetState(space);
            var p16 = new FleetState(space);
            var entries = new List<FleetEntry>();
            using var trust = new TrustStore();
            for (int d = 0; d < devices; d++)
            {
                using EntrySigner signer = EntrySigner.Create($"dev{d}");
                trust.Add(signer.DeviceId, signer.ExportPublicKeyPem());
                var e = new FleetEntry
                {
                    SpaceId = SpaceId, DeviceId = signer.DeviceId, Label = "c", Version = 1,
                    Count = rng.Next(1, 1000), Mean = TestVectors.Random(rng, 96, scale: 0.2f),
                };
                entries.Add(e);
                Assert.Equal(FleetMergeOutcome.Applied, p32.Receive(FleetEntryCodec.Encode(e, FleetVectorType.Float32, signer), trust).Outcome);
                Assert.Equal(FleetMergeOutcome.Applied, p16.Receive(FleetEntryCodec.Encode(e, FleetVectorType.Float16, signer), trust).Outcome);
            }
            float[] a = new float[96], b = new float[96];
            p32.TryGetPrototype("c", a, out long total, out _);
            p16.TryGetPrototype("c", b, out _, out _);
            for (int j = 0; j < 96; j++)
            {
                double weighted = 0;
                foreach (FleetEntry e in entries)
                    weighted += (double)e.Count / total * Math.Abs(e.Mean[j]);
                double bound = Math.Pow(2, -11) * weighted + Math.Pow(2, -25) + Math.Pow(2, -24) * (Math.Abs(a[j]) + Math.Abs(b[j]));
                if (Math.Abs(a[j] - b[j]) > bound)
                    return false;
            }
            return true;
        }, iter: 100);
    }

    [Fact]
    public void TryDecode_EveryTruncation_FailsWithoutThrowing()
    {
        foreach (FleetEntry e in new[] { Entry(5), Entry(1) with { Count = 0, Mean = [] } })
            foreach (FleetVectorType type in new[] { FleetVectorType.Float32, FleetVectorType.Float16 })
            {
                byte[] payload = FleetEntryCodec.Encode(e, type, _signer);
                for (int n = 0; n < payload.Length; n++)
                    Assert.False(FleetEntryCodec.TryDecode(payload.AsSpan(0, n), out _, out FleetDecodeError error), $"length {n}");
            }
    }

    [Fact]
    public void TryDecode_RandomMutations_NeverThrowAndNeverPassVerification()
    {
        using var trust = new TrustStore();
        trust.Add(_signer.DeviceId, _signer.ExportPublicKeyPem());
        byte[][] valid =
        [
            FleetEntryCodec.Encode(Entry(8), FleetVectorType.Float32, _signer),
            FleetEntryCodec.Encode(Entry(8), FleetVectorType.Float16, _signer),
            FleetEntryCodec.Encode(Entry(1) with { Count = 0, Mean = [] }, FleetVectorType.Float32, _signer),
        ];
        var errors = new Dictionary<FleetDecodeError, int>();
        // Byte flips, insertions, deletions and splices, several at once.
        var mutation = Gen.Select(Gen.Int[0, 3], Gen.Int[0, 1 << 20], Gen.Byte);
        Gen.Select(Gen.Int[0, valid.Length - 1], mutation.Array[1, 6]).Sample((which, mutations) =>
        {
            var bytes = new List<byte>(valid[which]);
            foreach (var (kind, position, value) in mutations)
            {
                int at = position % (bytes.Count + 1);
                switch (kind)
                {
                    case 0 when at < bytes.Count: bytes[at] ^= (byte)(value | 1); break;
                    case 1: bytes.Insert(at, value); break;
                    case 2 when at < bytes.Count: bytes.RemoveAt(at); break;
                    case 3: bytes.RemoveRange(at, bytes.Count - at); break;
                }
            }
            byte[] payload = [.. bytes];
            bool decoded = FleetEntryCodec.TryDecode(payload, out FleetEntry? entry, out FleetDecodeError error);
            lock (errors)
                errors[error] = errors.GetValueOrDefault(error) + 1;
            // A decodable mutation must still be caught by the signature.
            return !decoded || trust.VerifyPayload(entry!.DeviceId, payload) != SignatureStatus.Valid || payload.AsSpan().SequenceEqual(valid[which]);
        }, iter: 20_000);
        output.WriteLine(string.Join(", ", errors.OrderBy(e => e.Key).Select(e => $"{e.Key}={e.Value}")));
    }

    [Fact]
    public void TryDecode_RandomBytes_NeverThrow()
    {
        Gen.Byte.Array[0, 300].Sample(bytes =>
        {
            // Give half of them a valid prefix so that the deeper fields get exercised.
            if (bytes.Length > 4 && bytes[0] < 128)
            {
                bytes[0] = (byte)'E';
                bytes[1] = (byte)'F';
                bytes[2] = 1;
                bytes[3] %= 3;
            }
            FleetEntryCodec.TryDecode(bytes, out _, out _);
        }, iter: 20_000);
    }

    public static TheoryData<string, FleetDecodeError, Func<byte[], byte[]>> ForgedPayloads => new()
    {
        { "magic", FleetDecodeError.BadMagic, p => Set(p, 0, (byte)'X') },
        { "format version", FleetDecodeError.UnsupportedFormatVersion, p => Set(p, 2, 2) },
        { "vector type", FleetDecodeError.UnknownVectorType, p => Set(p, 3, 9) },
        { "space digits 0", FleetDecodeError.BadSpaceId, p => Set(p, 4, 0) },
        { "space digits 65", FleetDecodeError.BadSpaceId, p => Set(p, 4, 65) },
        { "device length 0", FleetDecodeError.BadDeviceId, p => Set(p, 13, 0) },
        { "device char", FleetDecodeError.BadDeviceId, p => Set(p, 14, (byte)'/') },
        { "label not UTF-8", FleetDecodeError.BadLabel, p => Set(p, 23, 0xFF) },
        { "label control", FleetDecodeError.BadLabel, p => Set(p, 23, 0x07) },
        { "label space", FleetDecodeError.BadLabel, p => Set(p, 23, (byte)' ') },
        { "too large", FleetDecodeError.TooLarge, p => new byte[FleetLimits.MaxPayloadBytes + 1] },
        { "trailing", FleetDecodeError.TrailingBytes, p => [.. p[..^64], 0, .. p[^64..]] },
        { "NaN", FleetDecodeError.NonFiniteValue, p => SetFloat(p, 29, float.NaN) },
        { "Inf", FleetDecodeError.NonFiniteValue, p => SetFloat(p, 33, float.NegativeInfinity) },
    };

    [Theory]
    [MemberData(nameof(ForgedPayloads))]
    public void TryDecode_ForgedField_NamedError(string why, FleetDecodeError expected, Func<byte[], byte[]> forge)
    {
        // Entry(2, version 5, count 7, label "yes"): header 4 | S=16, 8 bytes | E=8, "dev-0001" | L=3 "yes" (offset 22-25)
        // | version, count, dimension (26-28) | vector from 29.
        byte[] payload = FleetEntryCodec.Encode(Entry(2, version: 5, count: 7), FleetVectorType.Float32, _signer);
        Assert.Equal(29 + 8 + 64, payload.Length);
        Assert.False(FleetEntryCodec.TryDecode(forge(payload), out _, out FleetDecodeError error), why);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void TryDecode_NonMinimalVarint_BadInteger()
    {
        byte[] p = FleetEntryCodec.Encode(Entry(2, version: 5, count: 7), FleetVectorType.Float32, _signer);
        // Re-encode version 5 as two bytes (0x85 0x00): same value, non-canonical.
        byte[] forged = [.. p[..26], 0x85, 0x00, .. p[27..]];
        Assert.False(FleetEntryCodec.TryDecode(forged, out _, out FleetDecodeError error));
        Assert.Equal(FleetDecodeError.BadInteger, error);
    }

    [Fact]
    public void TryDecode_LiveEntryWithoutVectorType_TombstoneMismatch()
    {
        byte[] p = FleetEntryCodec.Encode(Entry(2), FleetVectorType.Float32, _signer);
        Assert.False(FleetEntryCodec.TryDecode(Set(p, 3, 0), out _, out FleetDecodeError error));
        Assert.Equal(FleetDecodeError.TombstoneMismatch, error);
    }

    [Fact]
    public void GetEncodedLength_LargestValidEntry_WithinMaxPayloadBytes()
    {
        var e = new FleetEntry
        {
            SpaceId = new string('f', FleetLimits.MaxSpaceIdLength),
            DeviceId = new string('d', FleetLimits.MaxDeviceIdLength),
            Label = new string('l', FleetLimits.MaxLabelBytes),
            Version = long.MaxValue,
            Count = FleetLimits.MaxCount,
            Mean = new float[FleetLimits.MaxDimension],
        };
        Assert.True(FleetEntryCodec.GetEncodedLength(e, FleetVectorType.Float32) <= FleetLimits.MaxPayloadBytes);
    }

    [Fact]
    public void Encode_TypicalEntries_Fp16At512WithinTenPercentOfRaw()
    {
        // Report: 16-digit space id, 8-character device id, label "yes", version and count ~10^4.
        foreach (int d in new[] { 96, 512 })
            foreach (FleetVectorType type in new[] { FleetVectorType.Float32, FleetVectorType.Float16 })
            {
                int bytes = FleetEntryCodec.Encode(Entry(d, version: 12_345, count: 12_000), type, _signer).Length;
                output.WriteLine($"{d}-d {type}: {bytes} B = {bytes / (2.0 * d):F3} × D×2");
            }
        int fp16At512 = FleetEntryCodec.Encode(Entry(512, version: 12_345, count: 12_000), FleetVectorType.Float16, _signer).Length;
        Assert.True(fp16At512 <= 1.1 * 2 * 512, $"{fp16At512} B");
    }

    private static byte[] Set(byte[] p, int index, byte value)
    {
        byte[] copy = (byte[])p.Clone();
        copy[index] = value;
        return copy;
    }

    private static byte[] SetFloat(byte[] p, int index, float value)
    {
        byte[] copy = (byte[])p.Clone();
        BinaryPrimitives.WriteSingleLittleEndian(copy.AsSpan(index), value);
        return copy;
    }
}
