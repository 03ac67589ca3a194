using System.Text.Json.Nodes;
using DeepSeekV3.Operator.Api.V1Alpha1;
using DeepSeekV3.Operator.Commands;
using DeepSeekV3.Operator.Crds;

namespace DeepSeekV3.Operator.Tests.Crds;

public class CrdGenerationTests
{
    private static readonly string Generated = CrdsCommand.Render(typeof(DeepSeekDeployment));

    [Fact]
    public void CommittedCrd_EqualsGenerationFromTypes()
    {
        Assert.True(
            File.ReadAllText(RepositoryPaths.Crd) == Generated,
            "crds/ differs from the C# types: run `deepseek-operator crds --out crds` and copy it to charts/deepseek-operator/crds/");
        Assert.True(File.ReadAllText(RepositoryPaths.ChartCrd) == Generated, "the chart's CRD differs from crds/: copy it");
    }

    [Fact]
    public void Crd_HasNamesScopeAndSubresourcesForKubectlScaleAndHpa()
    {
        var crd = YamlText.ReadDocuments(Generated).Single();
        var spec = crd["spec"]!;
        Assert.Equal("deepseekdeployments.deepseekv3.io", (string?)crd["metadata"]!["name"]);
        Assert.Equal("Namespaced", (string?)spec["scope"]);
        Assert.Equal(["dsd"], spec["names"]!["shortNames"]!.AsArray().Select(n => (string?)n));
        Assert.Contains("deepseek", spec["names"]!["categories"]!.AsArray().Select(n => (string?)n));

        var version = spec["versions"]!.AsArray().Single()!;
        Assert.Equal("v1alpha1", (string?)version["name"]);
        Assert.NotNull(version["subresources"]!["status"]);
        var scale = version["subresources"]!["scale"]!;
        Assert.Equal(".spec.decode.replicas", (string?)scale["specReplicasPath"]);
        Assert.Equal(".status.replicas", (string?)scale["statusReplicasPath"]);
        Assert.Equal(".status.selector", (string?)scale["labelSelectorPath"]);

        var columns = version["additionalPrinterColumns"]!.AsArray().Select(c => (string?)c!["name"]).ToList();
        Assert.Equal(["Phase", "Ready", "Decode", "Prefill", "Model", "Endpoint", "Age"], columns);
    }

    [Fact]
    public void Schema_DescribesEveryFieldAndCarriesDefaultsEnumsAndCelRules()
    {
        var schema = YamlText.ReadDocuments(Generated).Single()["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!;
        var undescribed = new List<string>();
        Walk(schema, "", undescribed);
        Assert.Empty(undescribed);

        var spec = schema["properties"]!["spec"]!["properties"]!;
        Assert.Equal(["fp8", "bf16"], spec["model"]!["properties"]!["precision"]!["enum"]!.AsArray().Select(n => (string?)n));
        Assert.Equal(80L, (long)spec["decode"]!["properties"]!["gpuMemoryGiB"]!["default"]!);
        Assert.Equal(0L, (long)spec["decode"]!["properties"]!["replicas"]!["minimum"]!);
        var sourceRule = (string?)spec["model"]!["properties"]!["source"]!["x-kubernetes-validations"]![0]!["rule"];
        Assert.Contains("has(self.pvc)", sourceRule, StringComparison.Ordinal);
        Assert.Contains("image", schema["properties"]!["spec"]!["required"]!.AsArray().Select(n => (string?)n));

        // The API server refuses expert layouts that cannot split, with the same expert count the planner uses.
        var poolRule = (string?)spec["decode"]!["x-kubernetes-validations"]![0]!["rule"];
        Assert.StartsWith($"({DeepSeekV3.Operator.Validation.CapacityPlanner.RoutedExperts} + self.redundantExperts) %", poolRule, StringComparison.Ordinal);
    }

    private static void Walk(JsonNode schema, string path, List<string> undescribed)
    {
        if (schema["properties"] is JsonObject properties)
        {
            foreach (var (name, property) in properties)
            {
                if (property!["description"] is null)
                {
                    undescribed.Add($"{path}.{name}");
                }

                Walk(property, $"{path}.{name}", undescribed);
            }
        }

        if (schema["items"] is JsonObject items)
        {
            Walk(items, path + "[]", undescribed);
        }

        if (schema["additionalProperties"] is JsonObject values)
        {
            Walk(values, path + "{}", undescribed);
        }
    }
}
