using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Worker.Commands;

namespace DeepSeekV3.Worker;

/// <summary>The <c>dsv3</c> executable: one binary, a command per job.</summary>
public static class Program
{
    private const string Usage = $"""
        usage:
          {GenerateCommand.Usage}
          {MakeModelCommand.Usage}
          {ConvertCommand.Usage}
          {BenchCommand.Usage}
          {ServeBenchCommand.Usage}
          {GrpcBenchCommand.Usage}
          {KernelBenchCommand.Usage}
          {MachineBenchCommand.Usage}
          {DemoCommand.Usage}
          {ServeCommand.Usage}
          {UpCommand.Usage}
        """;

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>dsv3 up runs until Ctrl-C or SIGTERM, which stop the children cleanly.</summary>
    private static int RunUp(string[] arguments, TextWriter output)
    {
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                stop.Cancel();
            });
        return UpCommand.Run(arguments, output, stop.Token);
    }

    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        try
        {
            if (args.Count == 0 || args[0] is "help" or "--help" or "-h")
            {
                output.WriteLine(Usage);
                return args.Count == 0 ? 2 : 0;
            }

            var rest = args.Skip(1).ToArray();
            return args[0] switch
            {
                "generate" => GenerateCommand.Run(rest, output),
                "make-model" => MakeModelCommand.Run(rest, output),
                "convert" => ConvertCommand.Run(rest, output),
                "bench" => BenchCommand.Run(rest, output),
                "demo" => DemoCommand.Run(rest, output),
                "serve" => ServeCommand.Run(rest),
                "up" => RunUp(rest, output),
                _ => throw new UsageException($"unknown command '{args[0]}'"),
            };
        }
        catch (UsageException e)
        {
            error.WriteLine($"dsv3: error: {e.Message}");
            error.WriteLine(Usage);
            return 2;
        }
        catch (CheckpointException e)
        {
            error.WriteLine($"dsv3: error: bad checkpoint: {e.Message}");
            return 1;
        }
        catch (IOException e)
        {
            error.WriteLine($"dsv3: error: {e.Message}");
            return 1;
        }
        catch (UnauthorizedAccessException e)
        {
            error.WriteLine($"dsv3: error: {e.Message}");
            return 1;
        }
    }
}
