namespace DeepSeekV3.Worker.Bench;

/// <summary>What this machine can do at most, measured in the same run as the engine figures they bound.</summary>
public sealed record MachineLimits(
    int Threads,
    string Vector,
    double TriadBytesPerSecond,
    double ReadBytesPerSecond,
    double FmaFlopsPerSecond);
