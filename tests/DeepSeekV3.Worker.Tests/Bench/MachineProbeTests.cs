using DeepSeekV3.Worker.Bench;

namespace DeepSeekV3.Worker.Tests.Bench;

public class MachineProbeTests
{
    private static MachineLimits Limits(double fma) =>
        new(Threads: 1, Cpu: "test", StreamPrefetch: false, WideRowPrefetch: false, PanelPrefetchIntoL2: false, Vector: "test",
            TriadBytesPerSecond: 1e9, TriadOrdinaryStoresBytesPerSecond: 3e9, ReadBytesPerSecond: 2e9, FmaFlopsPerSecond: fma);

    [Fact]
    public void WithFmaPeakRetaken_StartFigureHeldDownByANeighbour_IsRaisedToTheMeasuredPeak()
    {
        // A start-of-run probe that a neighbour held to 1 FLOP/s: any core does better on the second look.
        var retaken = MachineProbe.WithFmaPeakRetaken(Limits(fma: 1));

        Assert.True(retaken.FmaFlopsPerSecond > 1e8, $"retaken peak {retaken.FmaFlopsPerSecond} FLOP/s");
        Assert.Equal((1e9, 3e9, 2e9, "test"), (retaken.TriadBytesPerSecond, retaken.TriadOrdinaryStoresBytesPerSecond, retaken.ReadBytesPerSecond, retaken.Cpu));
    }

    [Fact]
    public void WithFmaPeakRetaken_StartFigureAboveTheSecondLook_IsKept()
    {
        // Far above what one thread can do: the second look never lowers the peak.
        var retaken = MachineProbe.WithFmaPeakRetaken(Limits(fma: 1e18));

        Assert.Equal(1e18, retaken.FmaFlopsPerSecond);
    }
}
