using DeepSeekV3.Worker.Bench;

namespace DeepSeekV3.Worker.Tests.Bench;

public class PairedBandwidthTests
{
    private static BandwidthWindow Window(double bytesPerSecond, (double Triad, double OrdinaryStores, double Read) before,
        (double Triad, double OrdinaryStores, double Read) after) =>
        new(bytesPerSecond, new BandwidthSample(before.Triad, before.OrdinaryStores, before.Read),
            new BandwidthSample(after.Triad, after.OrdinaryStores, after.Read));

    [Fact]
    public void FromWindows_SetsEachWindowAgainstItsOwnProbes_ThenTakesMedians()
    {
        // Window bytes/s over the mean of the probes just around it: 30/50, 10/20, 20/50 of triad; 30/60, 10/40, 20/80 of
        // the ordinary-store triad; 30/30, 10/25, 20/40 of read.
        var windows = new[]
        {
            Window(30e9, before: (40e9, 50e9, 30e9), after: (60e9, 70e9, 30e9)),
            Window(10e9, before: (20e9, 40e9, 20e9), after: (20e9, 40e9, 30e9)),
            Window(20e9, before: (50e9, 70e9, 45e9), after: (50e9, 90e9, 35e9)),
        };

        var paired = PairedBandwidth.FromWindows(windows);

        Assert.Equal(3, paired.Windows);
        Assert.Equal(50e9, paired.TriadBytesPerSecond, 3); // of 50, 20, 50
        Assert.Equal(60e9, paired.TriadOrdinaryStoresBytesPerSecond, 3); // of 60, 40, 80
        Assert.Equal(30e9, paired.ReadBytesPerSecond, 3); // of 30, 25, 40
        // The median of the per-window fractions (0.6, 0.5, 0.4), not the median window rate over the median probe
        // (20 / 50 = 0.4): a window is only compared with the bandwidth of its own moment.
        Assert.Equal(0.5, paired.RooflineFraction, 12);
        Assert.Equal(0.25, paired.OrdinaryStoreTriadFraction, 12); // of 0.5, 0.25, 0.25
        Assert.Equal(0.5, paired.ReadFraction, 12); // of 1.0, 0.4, 0.5
    }

    [Fact]
    public void FromWindows_EvenCount_AveragesTheMiddleTwo()
    {
        var windows = new[]
        {
            Window(10e9, before: (40e9, 50e9, 20e9), after: (40e9, 50e9, 20e9)), // 0.25 of triad, 0.2 of ordinary-store triad, 0.5 of read
            Window(30e9, before: (40e9, 50e9, 20e9), after: (40e9, 50e9, 40e9)), // 0.75, 0.6, 1.0
        };

        var paired = PairedBandwidth.FromWindows(windows);

        Assert.Equal(0.5, paired.RooflineFraction, 12);
        Assert.Equal(0.4, paired.OrdinaryStoreTriadFraction, 12);
        Assert.Equal(0.75, paired.ReadFraction, 12);
        Assert.Equal(25e9, paired.ReadBytesPerSecond, 3);
    }

    [Fact]
    public void FromWindows_NoWindows_Throws() =>
        Assert.Throws<ArgumentException>(() => PairedBandwidth.FromWindows([]));
}
