using DeepSeekV3.Worker.Bench;

namespace DeepSeekV3.Worker.Tests.Bench;

public class PairedBandwidthTests
{
    [Fact]
    public void FromWindows_SetsEachWindowAgainstItsOwnProbes_ThenTakesMedians()
    {
        // Window bytes/s over the mean of the probes just around it: 30/50, 10/20, 20/50 of triad; 30/30, 10/25, 20/40 of read.
        var windows = new[]
        {
            new BandwidthWindow(30e9, TriadBefore: 40e9, ReadBefore: 30e9, TriadAfter: 60e9, ReadAfter: 30e9),
            new BandwidthWindow(10e9, TriadBefore: 20e9, ReadBefore: 20e9, TriadAfter: 20e9, ReadAfter: 30e9),
            new BandwidthWindow(20e9, TriadBefore: 50e9, ReadBefore: 45e9, TriadAfter: 50e9, ReadAfter: 35e9),
        };

        var paired = PairedBandwidth.FromWindows(windows);

        Assert.Equal(3, paired.Windows);
        Assert.Equal(50e9, paired.TriadBytesPerSecond, 3); // of 50, 20, 50
        Assert.Equal(30e9, paired.ReadBytesPerSecond, 3); // of 30, 25, 40
        // The median of the per-window fractions (0.6, 0.5, 0.4), not the median window rate over the median probe
        // (20 / 50 = 0.4): a window is only compared with the bandwidth of its own moment.
        Assert.Equal(0.5, paired.RooflineFraction, 12);
        Assert.Equal(0.5, paired.ReadFraction, 12); // of 1.0, 0.4, 0.5
    }

    [Fact]
    public void FromWindows_EvenCount_AveragesTheMiddleTwo()
    {
        var windows = new[]
        {
            new BandwidthWindow(10e9, 40e9, 20e9, 40e9, 20e9), // 0.25 of triad, 0.5 of read
            new BandwidthWindow(30e9, 40e9, 20e9, 40e9, 40e9), // 0.75, 1.0
        };

        var paired = PairedBandwidth.FromWindows(windows);

        Assert.Equal(0.5, paired.RooflineFraction, 12);
        Assert.Equal(0.75, paired.ReadFraction, 12);
        Assert.Equal(25e9, paired.ReadBytesPerSecond, 3);
    }

    [Fact]
    public void FromWindows_NoWindows_Throws() =>
        Assert.Throws<ArgumentException>(() => PairedBandwidth.FromWindows([]));
}
