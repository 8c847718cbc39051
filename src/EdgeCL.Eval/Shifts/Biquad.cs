namespace EdgeCL.Eval.Shifts;

/// <summary>A second-order IIR section (RBJ audio-EQ cookbook), direct form I, double precision.</summary>
internal sealed class Biquad
{
    private readonly double _b0, _b1, _b2, _a1, _a2;

    private Biquad(double b0, double b1, double b2, double a0, double a1, double a2)
    {
        _b0 = b0 / a0;
        _b1 = b1 / a0;
        _b2 = b2 / a0;
        _a1 = a1 / a0;
        _a2 = a2 / a0;
    }

    /// <summary>High-pass at <paramref name="frequency"/> Hz with quality <paramref name="q"/>.</summary>
    public static Biquad HighPass(double frequency, double q, int sampleRate)
    {
        double w = 2 * Math.PI * frequency / sampleRate, alpha = Math.Sin(w) / (2 * q), c = Math.Cos(w);
        return new Biquad((1 + c) / 2, -(1 + c), (1 + c) / 2, 1 + alpha, -2 * c, 1 - alpha);
    }

    /// <summary>Low-pass at <paramref name="frequency"/> Hz with quality <paramref name="q"/>.</summary>
    public static Biquad LowPass(double frequency, double q, int sampleRate)
    {
        double w = 2 * Math.PI * frequency / sampleRate, alpha = Math.Sin(w) / (2 * q), c = Math.Cos(w);
        return new Biquad((1 - c) / 2, 1 - c, (1 - c) / 2, 1 + alpha, -2 * c, 1 - alpha);
    }

    /// <summary>Filters <paramref name="signal"/> in place from a zero state.</summary>
    public void Process(Span<double> signal)
    {
        double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
        for (int i = 0; i < signal.Length; i++)
        {
            double x = signal[i];
            double y = _b0 * x + _b1 * x1 + _b2 * x2 - _a1 * y1 - _a2 * y2;
            x2 = x1;
            x1 = x;
            y2 = y1;
            y1 = y;
            signal[i] = y;
        }
    }
}
