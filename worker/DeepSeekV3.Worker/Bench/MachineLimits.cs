namespace DeepSeekV3.Worker.Bench;

/// <summary>
/// What this machine can do at most, measured in the same run as the engine figures they bound, and what it is: the
/// processor (figures differ between microarchitectures of one vendor) and whether the batch-1 kernels prefetch their
/// weight streams in software there.
/// </summary>
public sealed record MachineLimits(
    int Threads,
    string Cpu,
    bool StreamPrefetch,
    string Vector,
    double TriadBytesPerSecond,
    double ReadBytesPerSecond,
    double FmaFlopsPerSecond);
