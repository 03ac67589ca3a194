namespace DeepSeekV3.Worker.Bench;

/// <summary>
/// What this machine can do at most, measured in the same run as the engine figures they bound, and what it is: the
/// processor (figures differ between microarchitectures of one vendor), whether the batch-1 kernels prefetch their
/// weight streams in software there, whether batch-1 rows of 4096+ columns (FP8 and BF16) are prefetched into L2, and whether the
/// multi-token kernels ask for their next panel into L2.
/// </summary>
public sealed record MachineLimits(
    int Threads,
    string Cpu,
    bool StreamPrefetch,
    bool WideRowPrefetch,
    bool PanelPrefetchIntoL2,
    string Vector,
    double TriadBytesPerSecond,
    double TriadOrdinaryStoresBytesPerSecond,
    double ReadBytesPerSecond,
    double FmaFlopsPerSecond)
{
    /// <summary>What the machine is and the kernel choices made for it, as every bench's machine line starts.</summary>
    public string Description =>
        $"{Cpu}, {Threads} threads, {Vector}, stream prefetch {OnOff(StreamPrefetch)}, wide rows into L2 {OnOff(WideRowPrefetch)}, next panels into L2 {OnOff(PanelPrefetchIntoL2)}";

    private static string OnOff(bool on) => on ? "on" : "off";
}
