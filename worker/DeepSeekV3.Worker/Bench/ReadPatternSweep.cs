using System.Globalization;
using System.Text;

namespace DeepSeekV3.Worker.Bench;

/// <summary>One round of the sweep, in bytes per second: both STREAM triads, then every read pattern once, in order.</summary>
public sealed record ReadPatternRound(double Triad, double TriadOrdinaryStores, IReadOnlyList<double> Reads);

/// <summary>
/// <c>dsv3 bench machine --read-patterns</c>: whether any way of reading memory comes near the non-temporal triad. A triad
/// moves two reads and a write; a decode step only reads, and on a host whose reads and writes travel separate paths a
/// read alone can stay below a triad's total however it is issued. Rounds alternate all probes so each round's figures
/// share one moment of a shared host's memory.
/// </summary>
public static class ReadPatternSweep
{
    public static IReadOnlyList<ReadPatternRound> Measure(BandwidthProbe probe, IReadOnlyList<ReadPattern> patterns, int rounds)
    {
        var measured = new List<ReadPatternRound>(rounds);
        for (int round = 0; round < rounds; round++)
        {
            double triad = probe.TriadBytesPerSecond();
            double ordinary = probe.TriadOrdinaryStoresBytesPerSecond();
            measured.Add(new ReadPatternRound(triad, ordinary, [.. patterns.Select(probe.ReadBytesPerSecond)]));
        }

        return measured;
    }

    /// <summary>
    /// Each probe's median and range over the rounds in GB/s; each read's median over the rounds of its fraction of the
    /// same round's non-temporal triad; and the highest of those medians. A pattern's own median, not each round's
    /// fastest pattern: on a host whose bandwidth comes in millisecond bursts the fastest of nine short runs is mostly
    /// the one a burst fell on.
    /// </summary>
    public static string Report(IReadOnlyList<ReadPattern> patterns, IReadOnlyList<ReadPatternRound> rounds, int threads)
    {
        if (rounds.Count == 0 || rounds.Any(r => r.Reads.Count != patterns.Count))
        {
            throw new ArgumentException("Every round needs one figure per pattern, and there must be a round.", nameof(rounds));
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"read patterns, {threads} threads, {rounds.Count} rounds (each: both triads, then every pattern once), GB/s: median [min-max]; fraction of the same round's non-temporal triad: median\n");
        Line(text, "STREAM triad, non-temporal stores (the roofline)", rounds.Select(r => r.Triad / 1e9), null);
        Line(text, "STREAM triad, ordinary stores", rounds.Select(r => r.TriadOrdinaryStores / 1e9), rounds.Select(r => r.TriadOrdinaryStores / r.Triad));
        double best = 0;
        for (int p = 0; p < patterns.Count; p++)
        {
            var fractions = rounds.Select(r => r.Reads[p] / r.Triad).ToArray();
            best = Math.Max(best, Spread(fractions).Median);
            Line(text, "read, " + patterns[p].Name, rounds.Select(r => r.Reads[p] / 1e9), fractions);
        }

        text.Append(CultureInfo.InvariantCulture,
            $"  fastest read pattern: {best * 100:F1} % of the non-temporal triad (the most of the bandwidth roofline a step that only reads could reach)\n");
        return text.ToString();
    }

    private static void Line(StringBuilder text, string name, IEnumerable<double> gigabytesPerSecond, IEnumerable<double>? fractionsOfTriad)
    {
        var (median, min, max) = Spread(gigabytesPerSecond);
        text.Append(CultureInfo.InvariantCulture, $"  {name,-62} {median,6:F1} [{min:F1}-{max:F1}]");
        if (fractionsOfTriad is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {Spread(fractionsOfTriad).Median * 100,6:F1} %");
        }

        text.Append('\n');
    }

    private static (double Median, double Min, double Max) Spread(IEnumerable<double> values)
    {
        var all = values.ToArray();
        return (PairedBandwidth.Median(all), all.Min(), all.Max());
    }
}
