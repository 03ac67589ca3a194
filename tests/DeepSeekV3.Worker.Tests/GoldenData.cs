using System.Text.Json;

namespace DeepSeekV3.Worker.Tests;

/// <summary>Paths and prompts of ../shared/golden, beside the repository.</summary>
internal static class GoldenData
{
    /// <summary>The checkout: the first folder above the test binaries that holds the solution.</summary>
    public static string RepositoryRoot
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (!File.Exists(Path.Combine(directory!.FullName, "DeepSeekV3.Cluster.sln")))
            {
                directory = directory.Parent;
            }

            return directory.FullName;
        }
    }

    public static string Directory(string name)
    {
        string root = Environment.GetEnvironmentVariable("DSV3_GOLDEN_DIR") is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : Path.Combine(RepositoryRoot, "..", "shared", "golden");
        return Path.GetFullPath(Path.Combine(root, name));
    }

    /// <summary>(tokens, greedy_tokens) of every golden prompt.</summary>
    public static (int[] Tokens, int[] Greedy)[] Prompts(string name)
    {
        using var expected = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Directory(name), "expected.json")));
        return [.. expected.RootElement.GetProperty("prompts").EnumerateArray().Select(p => (
            p.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            p.GetProperty("greedy_tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray()))];
    }
}
