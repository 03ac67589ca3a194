using DeepSeekV3.Worker.Bench;

namespace DeepSeekV3.Worker.Tests.Bench;

public class ReadPatternSweepTests
{
    [Fact]
    public void EveryPattern_ReadsEveryValueOnce()
    {
        // Integer values keep float sums exact, so a value read twice or skipped (the parts' seams, the leftover past the
        // last whole step of 32 floats a stream) changes the total.
        foreach (int length in new[] { 0, 1, 31, 32, 33, 127, 128, 129, 1000, 4096 + 77 })
        {
            var values = Enumerable.Range(0, length).Select(i => (float)((i % 97) + 1)).ToArray();
            float expected = values.Sum();
            foreach (var pattern in ReadPattern.All)
            {
                Assert.Equal(expected, ReadPatternLoop.Sum(values, pattern.Streams, pattern.Prefetch));
            }
        }
    }

    [Fact]
    public void Patterns_AreOneToFourStreamsWithEachPrefetch_AndNamedApart()
    {
        Assert.Equal(9, ReadPattern.All.Count);
        Assert.Equal([1, 2, 4], ReadPattern.All.Select(p => p.Streams).Distinct());
        Assert.Equal(9, ReadPattern.All.Select(p => p.Name).Distinct().Count());
    }

    [Fact]
    public void Report_GivesMediansRangesAndEachReadsMedianFractionOfItsRoundsTriad()
    {
        ReadPattern[] patterns = [new(1, ReadPrefetch.None), new(2, ReadPrefetch.NonTemporal4K)];
        // Round triads 40, 50, 20 GB/s. Pattern 1 reads 32, 45, 16 (0.8, 0.9, 0.8 of its round: median 0.8);
        // pattern 2 reads 30, 35, 19 (0.75, 0.7, 0.95: median 0.75). Each round's fastest pattern over its triad would be
        // 0.8, 0.9, 0.95 (median 0.9): the report must not take that.
        ReadPatternRound[] rounds =
        [
            new(40e9, 30e9, [32e9, 30e9]),
            new(50e9, 35e9, [45e9, 35e9]),
            new(20e9, 18e9, [16e9, 19e9]),
        ];

        string report = ReadPatternSweep.Report(patterns, rounds, threads: 2);

        var lines = report.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("read patterns, 2 threads, 3 rounds", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"STREAM triad, non-temporal stores \(the roofline\) +40\.0 \[20\.0-50\.0\]$", lines[1]);
        Assert.Matches(@"STREAM triad, ordinary stores +30\.0 \[18\.0-35\.0\] +75\.0 %$", lines[2]); // 0.75, 0.7, 0.9
        Assert.Matches(@"read, 1 stream a thread, hardware prefetch alone +32\.0 \[16\.0-45\.0\] +80\.0 %$", lines[3]);
        Assert.Matches(@"read, 2 streams a thread, non-temporal 4 KB ahead +30\.0 \[19\.0-35\.0\] +75\.0 %$", lines[4]);
        Assert.Contains("fastest read pattern: 80.0 % of the non-temporal triad", lines[5], StringComparison.Ordinal);
    }

    [Fact]
    public void Report_RoundsWithoutOneFigurePerPattern_AreRefused()
    {
        ReadPattern[] patterns = [new(1, ReadPrefetch.None), new(2, ReadPrefetch.None)];

        Assert.Throws<ArgumentException>(() => ReadPatternSweep.Report(patterns, [new(40e9, 30e9, [32e9])], threads: 2));
        Assert.Throws<ArgumentException>(() => ReadPatternSweep.Report(patterns, [], threads: 2));
    }

    [Fact]
    public void Measure_OnTheMachine_GivesEveryProbeAPositiveRate()
    {
        using var probe = new BandwidthProbe(threads: 2);

        var rounds = ReadPatternSweep.Measure(probe, ReadPattern.All, rounds: 2);

        Assert.Equal(2, rounds.Count);
        foreach (var round in rounds)
        {
            // As BandwidthProbeTests: a zero, negative or absurd rate means a probe timed nothing or divided wrongly.
            Assert.All(new[] { round.Triad, round.TriadOrdinaryStores }.Concat(round.Reads), rate => Assert.InRange(rate, 1e8, 1e15));
            Assert.Equal(ReadPattern.All.Count, round.Reads.Count);
        }
    }
}
