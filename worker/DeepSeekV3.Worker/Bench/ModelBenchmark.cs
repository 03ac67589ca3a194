namespace DeepSeekV3.Worker.Bench;

/// <summary>Every figure of one checkpoint.</summary>
public sealed record ModelBenchmark(
    string Directory,
    string Format,
    int Layers,
    int Hidden,
    long WeightBytes,
    IReadOnlyList<PrefillResult> Prefill,
    IReadOnlyList<DecodeResult> Decode);
