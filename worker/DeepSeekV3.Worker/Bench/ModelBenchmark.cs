namespace DeepSeekV3.Worker.Bench;

/// <summary>Every figure of one checkpoint.</summary>
public sealed record ModelBenchmark(
    string Directory,
    string Format,
    int Layers,
    int Hidden,
    long WeightBytes,
    WeightPlacement Placement,
    IReadOnlyList<PrefillResult> Prefill,
    IReadOnlyList<DecodeResult> Decode);

/// <summary>
/// Where the weights lived during the figures: "huge-pages" or "mapped" (<see cref="Inference.Checkpoints.WeightMemory"/>),
/// and how much of the process's anonymous memory the kernel had placed on huge pages at the end (null where it does not say).
/// </summary>
public sealed record WeightPlacement(string Memory, long? ProcessHugePageBytes);
