namespace DeepSeekV3.Inference.Model;

/// <summary>config.json <c>rope_scaling</c> of type <c>yarn</c> (the only kind DeepSeek-V3 uses).</summary>
public sealed record RopeScaling(
    double Factor,
    int OriginalMaxPositionEmbeddings,
    double BetaFast,
    double BetaSlow,
    double Mscale,
    double MscaleAllDim);
