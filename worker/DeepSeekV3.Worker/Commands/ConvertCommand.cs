using DeepSeekV3.Inference.Checkpoints;

namespace DeepSeekV3.Worker.Commands;

/// <summary><c>dsv3 convert fp8-to-bf16 --in DIR --out DIR</c>.</summary>
public static class ConvertCommand
{
    public const string Usage = "dsv3 convert fp8-to-bf16 --in DIR --out DIR";

    public static int Run(IReadOnlyList<string> arguments, TextWriter output)
    {
        if (arguments.Count == 0 || arguments[0] != "fp8-to-bf16")
        {
            throw new UsageException("the only conversion is 'fp8-to-bf16': " + Usage);
        }

        var args = new CommandLineArguments([.. arguments.Skip(1)], new HashSet<string>());
        string input = args.Required("in");
        string outputDirectory = args.Required("out");
        args.RejectUnknown();
        try
        {
            Fp8ToBf16Converter.Convert(input, outputDirectory);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }

        output.WriteLine($"wrote BF16 checkpoint {outputDirectory}");
        return 0;
    }
}
