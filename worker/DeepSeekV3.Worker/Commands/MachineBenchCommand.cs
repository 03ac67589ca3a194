using DeepSeekV3.Worker.Bench;

namespace DeepSeekV3.Worker.Commands;

/// <summary>
/// <c>dsv3 bench machine [--threads N] [--json]</c>: the machine's limits alone, as every engine bench measures them first
/// (both STREAM triads, the read, the FMA peak; best of 5 runs each): the line, or the JSON <c>machine</c> object, of
/// <c>dsv3 bench</c>, in a second or two. For setting the probes beside another program's figures in alternating runs
/// (bench/compare_stream.py runs STREAM's own stream.c that way).
/// </summary>
public static class MachineBenchCommand
{
    public const string Usage = "dsv3 bench machine [--threads N] [--json]";

    public static int Run(IReadOnlyList<string> arguments, TextWriter output)
    {
        var args = new CommandLineArguments(arguments, new HashSet<string> { "json" });
        int threads = args.Number("threads", Environment.ProcessorCount, 1, 1024);
        bool json = args.Flag("json");
        args.RejectUnknown();
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
