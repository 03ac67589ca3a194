using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Inference.Model;

namespace DeepSeekV3.Worker.Commands;

/// <summary>
/// <c>dsv3 generate --model DIR --prompt-ids 1,2,3 [--prompt-ids ...] --max-new-tokens N [--logits-out FILE]
/// [--attention absorbed|naive]</c>: greedy generation, all prompts as one batch; prints each prompt's N new ids.
/// </summary>
public static class GenerateCommand
{
    public const string Usage =
        "dsv3 generate --model DIR --prompt-ids 1,2,3 [--prompt-ids ...] --max-new-tokens N [--logits-out FILE] [--attention absorbed|naive] [--weight-memory huge-pages|mapped]";

    public static int Run(IReadOnlyList<string> arguments, TextWriter output)
    {
        var args = new CommandLineArguments(arguments, new HashSet<string>());
        string model = args.Required("model");
        var prompts = args.All("prompt-ids").Select(text => CommandLineArguments.ParseIds("prompt-ids", text)).ToArray();
        int maxNewTokens = args.Number("max-new-tokens", 16, 1, 1_000_000);
        string? logitsOut = args.Optional("logits-out");
        var form = args.Optional("attention") switch
        {
            null or "absorbed" => AttentionForm.Absorbed,
            "naive" => AttentionForm.Naive,
            string other => throw new UsageException($"--attention must be 'absorbed' or 'naive', not '{other}'"),
        };
        var weightMemory = args.WeightMemory();
        args.RejectUnknown();
        if (prompts.Length == 0)
        {
            throw new UsageException("give at least one --prompt-ids");
        }

        using var checkpoint = Checkpoint.Open(model, weightMemory);
        using var backend = new CpuBackend();
        var transformer = new Transformer(checkpoint, backend);
        IReadOnlyList<GenerationResult> results;
        try
        {
            results = new GreedyGenerator(transformer).Generate(prompts, maxNewTokens, form);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }

        foreach (var result in results)
        {
            output.WriteLine(string.Join(',', result.GreedyTokens));
        }

        if (logitsOut is not null)
        {
            LogitsFileWriter.Write(logitsOut, results);
        }

        return 0;
    }
}
