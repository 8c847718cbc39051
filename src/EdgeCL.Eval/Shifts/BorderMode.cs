namespace EdgeCL.Eval.Shifts;

/// <summary>How coordinates outside the image are mapped back inside.</summary>
internal enum BorderMode
{
    /// <summary>Repeat the edge pixel (scipy 'nearest', cv2 BORDER_REPLICATE).</summary>
    Nearest,

    /// <summary>Half-sample symmetric, the edge repeated: d c b a | a b c d (scipy 'reflect', cv2 BORDER_REFLECT).</summary>
    Reflect,

    /// <summary>Whole-sample symmetric, the edge not repeated: d c b | a b c d (scipy 'mirror', cv2 BORDER_REFLECT_101).</summary>
    Reflect101,
}

/// <summary>Index mapping for <see cref="BorderMode"/>, valid for any distance outside (repeated reflection).</summary>
internal static class Border
{
    public static int Map(int i, int n, BorderMode mode) => mode switch
    {
        BorderMode.Nearest => Math.Clamp(i, 0, n - 1),
        BorderMode.Reflect => Reflect(i, n),
        _ => Reflect101(i, n),
    };

    public static int Reflect(int i, int n)
    {
        int period = 2 * n;
        i %= period;
        if (i < 0)
            i += period;
        return i < n ? i : period - 1 - i;
    }

    public static int Reflect101(int i, int n)
    {
        if (n == 1)
            return 0;
        int period = 2 * n - 2;
        i %= period;
        if (i < 0)
            i += period;
        return i < n ? i : period - i;
    }
}
