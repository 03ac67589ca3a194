namespace DeepSeekV3.Operator.Tests;

/// <summary>Files of the repository the tests read (generated CRDs, samples, scripts), found from the test binary.</summary>
public static class RepositoryPaths
{
    public static string Root
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "DeepSeekV3.Cluster.sln")))
            {
                directory = directory.Parent;
            }

            return directory?.FullName ?? throw new InvalidOperationException("DeepSeekV3.Cluster.sln not found above the test binary");
        }
    }

    public static string Crd => Path.Combine(Root, "crds", "deepseekv3.io_deepseekdeployments.yaml");

    public static string ChartCrd => Path.Combine(Root, "charts", "deepseek-operator", "crds", "deepseekv3.io_deepseekdeployments.yaml");

    public static IEnumerable<string> Samples => Directory.EnumerateFiles(Path.Combine(Root, "samples"), "*.yaml").Order(StringComparer.Ordinal);

    public static string Sample(string name) => Path.Combine(Root, "samples", name);
}
