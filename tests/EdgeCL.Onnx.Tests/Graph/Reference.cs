using EdgeCL.Onnx.Graph;

namespace EdgeCL.Onnx.Tests.Graph;

/// <summary>Straightforward C# forward passes of the tiny models, to check ONNX Runtime against.</summary>
internal static class Reference
{
    /// <summary>y = x · Wᵀ + b for x [n, in], W [out, in].</summary>
    public static float[] Linear(TinyModel model, float[] x, int n)
    {
        float[] w = model.Weights["weight"], b = model.Weights["bias"];
        int outDim = b.Length, inDim = w.Length / outDim;
        var y = new float[n * outDim];
        for (int r = 0; r < n; r++)
        {
            for (int o = 0; o < outDim; o++)
            {
                double sum = b[o];
                for (int i = 0; i < inDim; i++) sum += x[r * inDim + i] * w[o * inDim + i];
                y[r * outDim + o] = (float)sum;
            }
        }
        return y;
    }

    /// <summary>Conv 3×3 pad 1 → BatchNormalization (eps 1e-5) → Relu → global average pool, for x [n, c, h, w].</summary>
    public static float[] ConvBn(IReadOnlyDictionary<string, float[]> p, float[] x, int n, int c, int h, int w)
    {
        float[] weight = p["conv.weight"], bias = p["conv.bias"];
        int f = bias.Length;
        var y = new float[n * f];
        for (int b = 0; b < n; b++)
        {
            for (int o = 0; o < f; o++)
            {
                double pooled = 0;
                for (int i = 0; i < h; i++)
                {
                    for (int j = 0; j < w; j++)
                    {
                        double conv = bias[o];
                        for (int ch = 0; ch < c; ch++)
                        {
                            for (int ki = 0; ki < 3; ki++)
                            {
                                for (int kj = 0; kj < 3; kj++)
                                {
                                    int ii = i + ki - 1, jj = j + kj - 1;
                                    if (ii < 0 || ii >= h || jj < 0 || jj >= w) continue;
                                    conv += x[((b * c + ch) * h + ii) * w + jj] * weight[((o * c + ch) * 3 + ki) * 3 + kj];
                                }
                            }
                        }
                        double bn = (conv - p["bn.mean"][o]) / Math.Sqrt(p["bn.var"][o] + 1e-5) * p["bn.scale"][o] + p["bn.bias"][o];
                        pooled += Math.Max(0, bn);
                    }
                }
                y[b * f + o] = (float)(pooled / (h * w));
            }
        }
        return y;
    }
}
