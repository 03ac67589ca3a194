using DeepSeekV3.Operator.Crds;
using DeepSeekV3.Operator.Tests.Crds;

namespace DeepSeekV3.Operator.Tests.Commands;

public class RenderCommandTests
{
    public static TheoryData<string> Samples => [.. RepositoryPaths.Samples.Select(p => Path.GetFileName(p))];

    [Theory]
    [MemberData(nameof(Samples))]
    public void Render_Sample_PrintsChildrenAndExitsZero(string sample)
    {
        var (exit, output, error) = Run("render", "-f", RepositoryPaths.Sample(sample));

        Assert.True(exit == 0, error);
        var documents = YamlText.ReadDocuments(output);
        Assert.Contains(documents, d => (string?)d["kind"] == "StatefulSet");
        Assert.Contains(documents, d => (string?)d["kind"] == "Deployment");
        Assert.All(documents, d => Assert.False(string.IsNullOrEmpty((string?)d["metadata"]!["name"])));
    }

    [Fact]
    public void Samples_AreValidAgainstTheGeneratedCrdSchema()
    {
        string all = string.Join("\n---\n", RepositoryPaths.Samples.Select(File.ReadAllText));

        var (exit, output) = SchemaPeer.Validate(all);

        Assert.True(exit == 0, output);
        Assert.Equal(RepositoryPaths.Samples.Count(), output.Split('\n').Count(l => l.StartsWith("valid ", StringComparison.Ordinal)));
    }

    [Fact]
    public void ApiTypes_SerializeToDocumentsTheSchemaAccepts()
    {
        var deployment = Fixtures.H200();
        deployment.Spec.Scheduling = new Api.V1Alpha1.SchedulingSpec { NodeSelector = new() { ["gpu"] = "h200" }, PriorityClassName = "high" };
        deployment.Spec.Router.ApiKeySecret = new Api.V1Alpha1.SecretKeyReference { Name = "keys", Key = "k" };
        deployment.Spec.Decode.Resources = new Kubernetes.Models.ResourceRequirements { Requests = new() { ["memory"] = "1Ti", ["cpu"] = "32" } };
        deployment.Metadata.Uid = null;
        string json = System.Text.Json.JsonSerializer.Serialize(deployment, Api.V1Alpha1.OperatorJsonContext.Default.DeepSeekDeployment);

        var (exit, output) = SchemaPeer.Validate(json);

        Assert.True(exit == 0, output);
        Assert.StartsWith("valid v3", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Schema_RefusesWhatTheTypesForbid()
    {
        string text = File.ReadAllText(RepositoryPaths.Sample("v3-fp8-1x8-h200.yaml"))
            .Replace("precision: fp8", "precision: fp16", StringComparison.Ordinal)
            .Replace("gpuMemoryGiB: 141", "gpuMemoryGiB: 0", StringComparison.Ordinal);

        var (exit, output) = SchemaPeer.Validate(text);

        Assert.Equal(1, exit);
        Assert.Contains("spec.model.precision: 'fp16' is not one of ['fp8', 'bf16']", output, StringComparison.Ordinal);
        Assert.Contains("spec.decode.gpuMemoryGiB: 0 is less than the minimum of 1", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_TopologyThatDoesNotFit_ExitsOneWithTheNumbersAndPrintsNothing()
    {
        string path = TempFile(File.ReadAllText(RepositoryPaths.Sample("v3-fp8-1x8-h200.yaml")).Replace("gpuMemoryGiB: 141", "gpuMemoryGiB: 80", StringComparison.Ordinal));

        var (exit, output, error) = Run("render", "-f", path);

        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.Contains("DeepSeekDeployment deepseek-v3 is invalid", error, StringComparison.Ordinal);
        Assert.Contains("spec.decode: the model does not fit a group of 1 x 8 GPUs of 80 GiB", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\n", "no deepseekv3.io/v1alpha1 DeepSeekDeployment document found")]
    [InlineData("kind: DeepSeekDeployment\napiVersion: deepseekv3.io/v2\nmetadata: {name: x}\n", "expected apiVersion deepseekv3.io/v1alpha1")]
    [InlineData("kind: DeepSeekDeployment\napiVersion: deepseekv3.io/v1alpha1\nmetadata: {name: x}\nspec: [\n", "invalid YAML at line")]
    [InlineData("- just\n- a list\n", "every document must be a mapping")]
    public void Render_BadFile_ExitsOneWithAMessage(string text, string message)
    {
        var (exit, _, error) = Run("render", "-f", TempFile(text));

        Assert.Equal(1, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("render")]
    [InlineData("nonsense")]
    [InlineData("crds", "--into", "x")]
    public void Run_BadUsage_ExitsTwoWithUsage(params string[] args)
    {
        var (exit, _, error) = Run(args);

        Assert.Equal(2, exit);
        Assert.Contains("usage:", error, StringComparison.Ordinal);
    }

    private static (int Exit, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = Program.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    private static string TempFile(string text)
    {
        string path = Path.Combine(Path.GetTempPath(), $"dsd-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, text);
        return path;
    }
}
