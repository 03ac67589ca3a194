namespace DeepSeekV3.Worker.Bench;

/// <summary>
/// A decode measurement's windows against the memory bandwidth probed right around each of them
/// (<see cref="BandwidthProbe"/> runs just before and just after every window). On a shared host the bandwidth moves
/// by half within seconds, so a fraction over limits probed once at the start of the run says as much about the
/// neighbours as about the kernels; a window over the bandwidth of its own moment does not. Each figure is the median
/// over windows: <see cref="TriadBytesPerSecond"/> and <see cref="ReadBytesPerSecond"/> of the probes' means per window,
/// <see cref="RooflineFraction"/> and <see cref="ReadFraction"/> of each window's weight bytes per second over its own
/// probes' mean.
/// </summary>
public sealed record PairedBandwidth(int Windows, double TriadBytesPerSecond, double ReadBytesPerSecond, double RooflineFraction,
    double ReadFraction)
{
    public static PairedBandwidth FromWindows(IReadOnlyList<BandwidthWindow> windows)
    {
        if (windows.Count == 0)
        {
            throw new ArgumentException("Pairing needs at least one window.", nameof(windows));
        }

        return new PairedBandwidth(
            windows.Count,
            Median(windows.Select(w => w.Triad)),
            Median(windows.Select(w => w.Read)),
            Median(windows.Select(w => w.BytesPerSecond / w.Triad)),
            Median(windows.Select(w => w.BytesPerSecond / w.Read)));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}

/// <summary>
/// One timed window of decode steps (the weight bytes it streamed per second) and the bandwidth probes around it, in
/// bytes per second: triad and read just before, triad and read just after.
/// </summary>
public readonly record struct BandwidthWindow(double BytesPerSecond, double TriadBefore, double ReadBefore, double TriadAfter, double ReadAfter)
{
    public double Triad => (TriadBefore + TriadAfter) / 2;

    public double Read => (ReadBefore + ReadAfter) / 2;
}
