namespace DeepSeekV3.Inference.Model;

/// <summary>
/// Rotary position embedding with YaRN frequency correction (model.py <c>precompute_freqs_cis</c>) and the
/// matching softmax-scale correction (model.py <c>MLA.__init__</c>). Pairs are interleaved:
/// pair i is (x[2i], x[2i+1]) rotated by position · InverseFrequencies[i].
/// </summary>
public sealed class YarnRope
{
    public YarnRope(ModelConfig config)
    {
        int dim = config.QkRopeHeadDim;
        InverseFrequencies = ComputeInverseFrequencies(dim, config.RopeTheta, config.RopeScaling);
        SoftmaxScale = ComputeSoftmaxScale(config);
        // Hugging Face scales cos/sin by m(mscale) / m(mscale_all_dim); 1 for every released DeepSeek-V3 config.
        AttentionFactor = config.RopeScaling is { } yarn
            ? (float)(Mscale(yarn.Factor, yarn.Mscale) / Mscale(yarn.Factor, yarn.MscaleAllDim))
            : 1f;
    }

    /// <summary>[qk_rope_head_dim / 2] the angle per position of each rotary pair.</summary>
    public float[] InverseFrequencies { get; }

    public float SoftmaxScale { get; }

    public float AttentionFactor { get; }

    public int Pairs => InverseFrequencies.Length;

    /// <summary>cos/sin [Pairs] of every pair's angle at <paramref name="position"/>.</summary>
    public void Angles(int position, Span<float> cos, Span<float> sin)
    {
        for (int i = 0; i < InverseFrequencies.Length; i++)
        {
            // The reference forms the angle as a float32 product (torch.outer of float32 tensors).
            float angle = position * InverseFrequencies[i];
            cos[i] = (float)Math.Cos(angle) * AttentionFactor;
            sin[i] = (float)Math.Sin(angle) * AttentionFactor;
        }
    }

    internal static float[] ComputeInverseFrequencies(int dim, double theta, RopeScaling? yarn)
    {
        int pairs = dim / 2;
        var inverse = new float[pairs];
        for (int i = 0; i < pairs; i++)
        {
            inverse[i] = (float)(1.0 / Math.Pow(theta, 2.0 * i / dim));
        }

        if (yarn is null)
        {
            return inverse;
        }

        // Dimensions rotating faster than beta_fast turns over the original context keep their frequency, those
        // slower than beta_slow are interpolated by the factor, and a linear ramp blends the ones between.
        double low = Math.Max(Math.Floor(CorrectionDim(yarn.BetaFast, dim, theta, yarn.OriginalMaxPositionEmbeddings)), 0);
        double high = Math.Min(Math.Ceiling(CorrectionDim(yarn.BetaSlow, dim, theta, yarn.OriginalMaxPositionEmbeddings)), dim - 1);
        double span = high == low ? 0.001 : high - low;
        for (int i = 0; i < pairs; i++)
        {
            double ramp = Math.Clamp((i - low) / span, 0, 1);
            inverse[i] = (float)((inverse[i] / yarn.Factor * ramp) + (inverse[i] * (1 - ramp)));
        }

        return inverse;
    }

    private static double CorrectionDim(double rotations, int dim, double theta, int originalMaxPositions) =>
        dim * Math.Log(originalMaxPositions / (rotations * 2 * Math.PI)) / (2 * Math.Log(theta));

    private static float ComputeSoftmaxScale(ModelConfig config)
    {
        double scale = 1.0 / Math.Sqrt(config.QkHeadDim);
        if (config.RopeScaling is { MscaleAllDim: > 0 } yarn)
        {
            double m = Mscale(yarn.Factor, yarn.MscaleAllDim);
            scale *= m * m;
        }

        return (float)scale;
    }

    private static double Mscale(double factor, double mscale) =>
        factor <= 1 ? 1.0 : (0.1 * mscale * Math.Log(factor)) + 1.0;
}
