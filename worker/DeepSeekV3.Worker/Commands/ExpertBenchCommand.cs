using System.Globalization;
using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Worker.Bench;

namespace DeepSeekV3.Worker.Commands;

/// <summary>
/// <c>dsv3 bench experts [--model DIR | --preset tiny|small] [--ranks 1,2,4] [--steps N] [--prompt-tokens N] [--threads N]</c>:
/// expert-parallel decode on loopback groups of each size, against the one-process baseline in the same run.
/// </summary>
public static class ExpertBenchCommand
{
    public const string Usage = "dsv3 bench experts [--model DIR | --preset tiny|small] [--ranks 1,2,4] [--steps 32] [--prompt-tokens 16] [--threads N]";

    public static int Run(IReadOnlyList<string> arguments, TextWriter output)
    {
        var args = new CommandLineArguments(arguments, new HashSet<string>());
        string? model = args.Optional("model");
        string preset = args.Optional("preset") ?? "small";
        var ranks = CommandLineArguments.ParseIds("ranks", args.Optional("ranks") ?? "1,2,4");
        int steps = args.Number("steps", 32, 1, 100_000);
        int promptTokens = args.Number("prompt-tokens", 16, 1, 100_000);
        int? threads = args.Optional("threads") is null ? null : args.Number("threads", 1, 1, 1024);
        args.RejectUnknown();
        model ??= MakeModelCommand.EnsureCached(preset, fp8: true, output);
        using var checkpoint = Checkpoint.Open(model);
        int experts = checkpoint.Config.NRoutedExperts;
        foreach (int r in ranks.Where(r => r < 1 || experts % r != 0))
        {
            throw new UsageException($"--ranks must divide the model's {experts} routed experts; {r} does not");
        }

        output.WriteLine($"expert-parallel decode on loopback: {model} ({checkpoint.Config.NumHiddenLayers} layers, {experts} routed experts, top-{checkpoint.Config.NumExpertsPerTok}), batch 1, {steps} steps after a {promptTokens}-token prompt, {Environment.ProcessorCount} cores");
        output.WriteLine("ranks | decode ms/token | vs 1 rank | dispatch+combine µs/layer | communication share | bytes moved/token");
        double? baseline = null;
        foreach (int r in ranks)
        {
            var result = ExpertParallelBenchmark.RunAsync(checkpoint, r, promptTokens, steps, threads).GetAwaiter().GetResult();
            baseline ??= result.DecodeMillisecondsPerToken;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r,5} | {result.DecodeMillisecondsPerToken,15:F2} | {result.DecodeMillisecondsPerToken / baseline.Value,8:F2}x | {result.ExchangeMicrosecondsPerLayer,25:F0} | {result.CommunicationShare,18:P0} | {result.BytesPerToken,17:N0}"));
        }

        return 0;
    }
}
