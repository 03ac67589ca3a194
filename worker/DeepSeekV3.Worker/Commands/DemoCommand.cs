using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Inference.Model;

namespace DeepSeekV3.Worker.Commands;

/// <summary>
/// <c>dsv3 demo</c>: generates the tiny random-weight checkpoint (FP8, two shards, like a real release) if it is not
/// there yet, loads it, and greedy-decodes two prompts of different lengths as one batch.
/// </summary>
public static class DemoCommand
{
    public const string Usage = "dsv3 demo [--model DIR] [--max-new-tokens N]";

    public static int Run(IReadOnlyList<string> arguments, TextWriter output)
    {
        var args = new CommandLineArguments(arguments, new HashSet<string>());
        string? directory = args.Optional("model");
        int maxNewTokens = args.Number("max-new-tokens", 12, 1, 1000);
        args.RejectUnknown();
        if (directory is null)
        {
            directory = Path.Combine(Path.GetTempPath(), "dsv3-models", "demo-tiny-fp8");
            if (!File.Exists(Path.Combine(directory, "config.json")))
            {
                RandomCheckpoint.Write(directory, ModelPresets.Tiny, fp8: true, shards: 2, seed: 7);
            }
        }

        using var checkpoint = Checkpoint.Open(directory);
        using var backend = new CpuBackend();
        var model = new Transformer(checkpoint, backend);
        int[][] prompts = [[0, 17, 256, 42, 7, 99, 512], [0, 5]];
        var results = new GreedyGenerator(model).Generate(prompts, maxNewTokens);

        output.WriteLine($"model: {directory} ({model.Config.NumHiddenLayers} layers, {model.Config.NRoutedExperts} experts, FP8)");
        for (int i = 0; i < prompts.Length; i++)
        {
            output.WriteLine($"prompt [{string.Join(',', prompts[i])}] -> generated [{string.Join(',', results[i].GreedyTokens)}]");
        }

        return 0;
    }
}
