using DeepSeekV3.Operator.Commands;

namespace DeepSeekV3.Operator;

/// <summary>Entry point of deepseek-operator: one command per verb, wired explicitly.</summary>
public static class Program
{
    private const string Usage = """
        usage:
          deepseek-operator run [flags]           run the controller (see `run --help` flags in the README)
          deepseek-operator crds --out DIR        write the CRDs generated from the API types
          deepseek-operator manifests [flags]     print the install (CRD, RBAC, operator Deployment) as YAML
          deepseek-operator render -f FILE        print the children a DeepSeekDeployment would get (exit 1 if invalid)
        """;

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        try
        {
            return args.Count == 0 ? Fail(error, "no command given") : args[0] switch
            {
                "run" => RunCommand.Run([.. args.Skip(1)], error),
                "crds" => CrdsCommand.Run([.. args.Skip(1)], output),
                "manifests" => ManifestsCommand.Run([.. args.Skip(1)], output),
                "render" => RenderCommand.Run([.. args.Skip(1)], output, error),
                _ => Fail(error, $"unknown command '{args[0]}'"),
            };
        }
        catch (UsageException e)
        {
            return Fail(error, e.Message);
        }
    }

    private static int Fail(TextWriter error, string message)
    {
        error.WriteLine($"deepseek-operator: {message}");
        error.WriteLine(Usage);
        return 2;
    }
}
