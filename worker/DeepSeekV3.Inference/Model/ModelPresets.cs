namespace DeepSeekV3.Inference.Model;

/// <summary>
/// DeepSeek-V3-shaped architectures for random-weight demo checkpoints: every feature of the real model (MLA with
/// YaRN, dense then MoE layers, group-limited routing, shared expert), scaled down.
/// </summary>
public static class ModelPresets
{
    public static IReadOnlyList<string> Names { get; } = ["tiny", "small"];

    /// <summary>The golden tiny architecture (3 layers, hidden 192), with a longer context for demos. ~2.7 M parameters.</summary>
    public static ModelConfig Tiny { get; } = new()
    {
        VocabSize = 1000,
        HiddenSize = 192,
        IntermediateSize = 320,
        MoeIntermediateSize = 48,
        NumHiddenLayers = 3,
        NumAttentionHeads = 4,
        NSharedExperts = 1,
        NRoutedExperts = 16,
        RoutedScalingFactor = 2.5,
        KvLoraRank = 64,
        QLoraRank = 96,
        QkRopeHeadDim = 16,
        QkNopeHeadDim = 32,
        VHeadDim = 24,
        NGroup = 4,
        TopkGroup = 2,
        NumExpertsPerTok = 4,
        FirstKDenseReplace = 1,
        NormTopkProb = true,
        RmsNormEps = 1e-6,
        RopeTheta = 10000,
        MaxPositionEmbeddings = 4096,
        NumNextnPredictLayers = 0,
        BosTokenId = 0,
        EosTokenId = 1,
        RopeScaling = new RopeScaling(4, 1024, 32, 1, 1, 1),
    };

    /// <summary>8 layers, hidden 1024, 32 experts of 384: ~290 M parameters (≈580 MB BF16, ≈300 MB FP8) for CPU benchmarks.</summary>
    public static ModelConfig Small { get; } = Tiny with
    {
        VocabSize = 16384,
        HiddenSize = 1024,
        IntermediateSize = 2816,
        MoeIntermediateSize = 384,
        NumHiddenLayers = 8,
        NumAttentionHeads = 8,
        NRoutedExperts = 32,
        KvLoraRank = 256,
        QLoraRank = 384,
        QkRopeHeadDim = 32,
        QkNopeHeadDim = 64,
        VHeadDim = 64,
        MaxPositionEmbeddings = 16384,
        RopeScaling = new RopeScaling(4, 4096, 32, 1, 1, 1),
    };

    public static ModelConfig? Find(string name) => name switch
    {
        "tiny" => Tiny,
        "small" => Small,
        _ => null,
    };
}
