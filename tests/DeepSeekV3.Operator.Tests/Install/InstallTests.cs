using System.Text.Json.Nodes;
using DeepSeekV3.Operator.Commands;
using DeepSeekV3.Operator.Crds;
using DeepSeekV3.Operator.Tests.Crds;

namespace DeepSeekV3.Operator.Tests.Install;

public class InstallTests
{
    private static string Chart => Path.Combine(RepositoryPaths.Root, "charts", "deepseek-operator");

    [Fact]
    public void ChartRbacRules_EqualGenerationFromPermissions()
    {
        Assert.True(
            File.ReadAllText(Path.Combine(Chart, "files", "rbac-rules.yaml")) == ManifestsCommand.RbacRulesFile(),
            "charts/deepseek-operator/files/rbac-rules.yaml differs: run `deepseek-operator manifests --rbac-rules > charts/deepseek-operator/files/rbac-rules.yaml`");
    }

    [Fact]
    public void Manifests_InstallEverythingTheOperatorNeedsWithLeastPrivilege()
    {
        using var output = new StringWriter();
        Assert.Equal(0, Program.Run(["manifests", "--namespace", "ops", "--image", "example/op:1"], output, TextWriter.Null));

        var documents = YamlText.ReadDocuments(output.ToString());
        Assert.Equal(
            ["CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Deployment", "Service"],
            documents.Select(d => (string?)d["kind"]));
        var rules = documents.Single(d => (string?)d["kind"] == "ClusterRole")["rules"]!.AsArray();
        var grants = rules.SelectMany(r => r!["resources"]!.AsArray().Select(res => ((string?)r["apiGroups"]![0], (string?)res, r["verbs"]!.AsArray().Select(v => (string?)v).ToHashSet()))).ToList();
        Assert.DoesNotContain(grants, g => g.Item3.Contains("*") || g.Item2 == "*" || g.Item2 == "secrets");
        Assert.Contains(grants, g => g.Item2 == "deepseekdeployments/status" && g.Item3.Contains("update"));
        Assert.DoesNotContain(grants, g => g.Item2 == "pods" && g.Item3.Contains("create"));
        var deployment = documents.Single(d => (string?)d["kind"] == "Deployment");
        Assert.Equal(2L, (long)deployment["spec"]!["replicas"]!);
        var container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("example/op:1", (string?)container["image"]);
        Assert.Contains("--leader-elect", container["args"]!.AsArray().Select(a => (string?)a));
        Assert.Equal("ops", (string?)documents.Single(d => (string?)d["kind"] == "Role")["metadata"]!["namespace"]);
    }

    [Fact]
    public void ChartValues_AreValidAgainstTheChartSchema()
    {
        var (exit, output) = SchemaPeer.ValidateJsonSchema(File.ReadAllText(Path.Combine(Chart, "values.yaml")), Path.Combine(Chart, "values.schema.json"));

        Assert.True(exit == 0, output);
    }

    [Fact]
    public void ChartSchema_RefusesBadValues()
    {
        string values = File.ReadAllText(Path.Combine(Chart, "values.yaml"))
            .Replace("replicas: 2", "replicas: 0", StringComparison.Ordinal)
            .Replace("workers: 4", "wrokers: 4", StringComparison.Ordinal);

        var (exit, output) = SchemaPeer.ValidateJsonSchema(values, Path.Combine(Chart, "values.schema.json"));

        Assert.Equal(1, exit);
        Assert.Contains("replicas: 0 is less than the minimum of 1", output, StringComparison.Ordinal);
        Assert.Contains("'wrokers' was unexpected", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ChartTemplates_UseOnlyValuesThatExist()
    {
        var values = YamlText.ReadDocuments(File.ReadAllText(Path.Combine(Chart, "values.yaml"))).Single();
        var used = Directory.EnumerateFiles(Path.Combine(Chart, "templates"))
            .SelectMany(f => System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(f), @"\.Values\.([A-Za-z0-9_.]+)").Select(m => m.Groups[1].Value))
            .Distinct();

        Assert.All(used, path => Assert.True(Lookup(values, path) is not null || HasKey(values, path), $".Values.{path} is not in values.yaml"));
    }

    private static JsonNode? Lookup(JsonNode node, string path) =>
        path.Split('.').Aggregate((JsonNode?)node, (current, key) => current?[key]);

    private static bool HasKey(JsonNode node, string path)
    {
        var parts = path.Split('.');
        var parent = Lookup(node, string.Join('.', parts[..^1]));
        return parent is JsonObject o && o.ContainsKey(parts[^1]);
    }
}
