using DeepSeekV3.Worker.Bench;

namespace DeepSeekV3.Worker.Commands;

/// <summary>
/// <c>dsv3 bench machine [--threads N] [--json]</c>: the machine's limits alone, as every engine bench measures them first
/// (both STREAM triads, the read, the FMA peak; best of 5 runs each): the line, or the JSON <c>machine</c> object, of
/// <c>dsv3 bench</c>, in a second or two. For setting the probes beside another program's figures in alternating runs
/// (bench/compare_stream.py runs STREAM's own stream.c that way). With <c>--read-patterns</c>, instead, rounds of both
/// triads and every <see cref="ReadPattern"/> (<see cref="ReadPatternSweep"/>): how close any way of reading comes to the
/// non-temporal triad the bench judges decode against.
/// </summary>
public static class MachineBenchCommand
{
    public const string Usage = "dsv3 bench machine [--threads N] [--json | --read-patterns [--rounds 7]]";

    public static int Run(IReadOnlyList<string> arguments, TextWriter output)
    {
        var args = new CommandLineArguments(arguments, new HashSet<string> { "json", "read-patterns" });
        int threads = args.Number("threads", Environment.ProcessorCount, 1, 1024);
        bool json = args.Flag("json");
        bool readPatterns = args.Flag("read-patterns");
        bool roundsGiven = args.Optional("rounds") is not null;
        int rounds = args.Number("rounds", 7, 1, 1000);
        args.RejectUnknown();
        if (readPatterns && json)
        {
            throw new UsageException("--read-patterns prints a table; it does not combine with --json");
        }

        if (roundsGiven && !readPatterns)
        {
            throw new UsageException("--rounds counts the rounds of --read-patterns");
        }

        if (readPatterns)
        {
            using var probe = new BandwidthProbe(threads);
            output.Write(ReadPatternSweep.Report(ReadPattern.All, ReadPatternSweep.Measure(probe, ReadPattern.All, rounds), threads));
            return 0;
        }

        var machine = MachineProbe.Measure(threads);
        if (json)
        {
            BenchReport.WriteMachineJson(output, machine);
        }
        else
        {
            output.WriteLine(BenchReport.MachineLine(machine));
        }

        return 0;
    }
}
