using System.Globalization;
using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Model;

namespace DeepSeekV3.Worker.Commands;

/// <summary>
/// <c>dsv3 make-model --out DIR --preset tiny|small [--fp8] [--shards N] [--seed S]</c>: a random-weight checkpoint
/// in the real Hugging Face DeepSeek-V3 layout.
/// </summary>
public static class MakeModelCommand
{
    public const string Usage = "dsv3 make-model --out DIR --preset tiny|small [--fp8] [--shards N] [--seed S]";

    public static int Run(IReadOnlyList<string> arguments, TextWriter output)
    {
        var args = new CommandLineArguments(arguments, new HashSet<string> { "fp8" });
        string directory = args.Required("out");
        string presetName = args.Required("preset");
        bool fp8 = args.Flag("fp8");
        int shards = args.Number("shards", 1, 1, 10_000);
        int seed = args.Number("seed", 0, 0, int.MaxValue);
        args.RejectUnknown();
        var preset = ModelPresets.Find(presetName)
            ?? throw new UsageException($"--preset must be one of {string.Join(", ", ModelPresets.Names)}, not '{presetName}'");

        var config = RandomCheckpoint.Write(directory, preset, fp8, shards, (ulong)seed);
        long bytes = Directory.GetFiles(directory, "*.safetensors").Sum(f => new FileInfo(f).Length);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {directory}: preset {presetName}, {(fp8 ? "FP8 e4m3 (128x128 block scales)" : "BF16")}, " +
            $"{config.NumHiddenLayers} layers, {config.NRoutedExperts} experts, {shards} shard(s), {bytes / 1e6:F1} MB"));
        return 0;
    }

    /// <summary>A preset checkpoint in a cache directory, generated once (generation is deterministic per seed).</summary>
    public static string EnsureCached(string presetName, bool fp8, TextWriter output)
    {
        var preset = ModelPresets.Find(presetName)
            ?? throw new UsageException($"--preset must be one of {string.Join(", ", ModelPresets.Names)}, not '{presetName}'");
        string directory = Path.Combine(Path.GetTempPath(), "dsv3-models", $"{presetName}-{(fp8 ? "fp8" : "bf16")}-seed0");
        if (!File.Exists(Path.Combine(directory, "config.json")))
        {
            output.WriteLine($"generating the {presetName} preset ({(fp8 ? "FP8" : "BF16")}) in {directory} ...");
            RandomCheckpoint.Write(directory, preset, fp8, shards: 1, seed: 0);
        }

        return directory;
    }
}
