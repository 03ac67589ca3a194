namespace DeepSeekV3.Worker.Bench;

/// <summary>
/// A decode measurement's windows against the memory bandwidth probed right around each of them
/// (<see cref="BandwidthProbe"/> runs just before and just after every window). On a shared host the bandwidth moves
/// by half within seconds, so a fraction over limits probed once at the start of the run says as much about the
/// neighbours as about the kernels; a window over the bandwidth of its own moment does not. Each figure is the median
/// over windows: the bandwidths of the probes' means per window, and the fractions of each window's weight bytes per
/// second over its own probes' mean (<see cref="RooflineFraction"/> against the triad with non-temporal stores, the
/// bench's roofline; <see cref="OrdinaryStoreTriadFraction"/> against the one with ordinary stores;
/// <see cref="ReadFraction"/> against the read).
/// </summary>
public sealed record PairedBandwidth(int Windows, double TriadBytesPerSecond, double TriadOrdinaryStoresBytesPerSecond,
    double ReadBytesPerSecond, double RooflineFraction, double OrdinaryStoreTriadFraction, double ReadFraction)
{
    public static PairedBandwidth FromWindows(IReadOnlyList<BandwidthWindow> windows)
    {
        if (windows.Count == 0)
        {
            throw new ArgumentException("Pairing needs at least one window.", nameof(windows));
        }

        return new PairedBandwidth(
            windows.Count,
            Median(windows.Select(w => w.Around.Triad)),
            Median(windows.Select(w => w.Around.TriadOrdinaryStores)),
            Median(windows.Select(w => w.Around.Read)),
            Median(windows.Select(w => w.BytesPerSecond / w.Around.Triad)),
            Median(windows.Select(w => w.BytesPerSecond / w.Around.TriadOrdinaryStores)),
            Median(windows.Select(w => w.BytesPerSecond / w.Around.Read)));
    }

    /// <summary>The middle value, or the mean of the middle two (also the read-pattern sweep's).</summary>
    internal static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}

/// <summary>One run of each bandwidth probe, in bytes per second: triad with non-temporal stores (the roofline), with ordinary stores, read.</summary>
public readonly record struct BandwidthSample(double Triad, double TriadOrdinaryStores, double Read);

/// <summary>
/// One timed window of decode steps (the weight bytes it streamed per second) and the bandwidth probed just before and
/// just after it.
/// </summary>
public readonly record struct BandwidthWindow(double BytesPerSecond, BandwidthSample Before, BandwidthSample After)
{
    /// <summary>The mean of the probes before and after: the bandwidth of the window's own moment.</summary>
    public BandwidthSample Around => new(
        (Before.Triad + After.Triad) / 2,
        (Before.TriadOrdinaryStores + After.TriadOrdinaryStores) / 2,
        (Before.Read + After.Read) / 2);
}
