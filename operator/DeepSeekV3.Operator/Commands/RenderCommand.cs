using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSeekV3.Kubernetes;
using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Api.V1Alpha1;
using DeepSeekV3.Operator.Crds;
using DeepSeekV3.Operator.Desired;
using DeepSeekV3.Operator.Validation;

namespace DeepSeekV3.Operator.Commands;

/// <summary>
/// <c>deepseek-operator render -f FILE</c>: the children the operator would create for a DeepSeekDeployment, as
/// multi-document YAML (previews, GitOps diffs), or its validation errors with exit code 1. No cluster is needed;
/// the ownerReference uid stays empty because the API server assigns it.
/// </summary>
public static class RenderCommand
{
    public const string Usage = "deepseek-operator render -f FILE";

    public static int Run(IReadOnlyList<string> arguments, TextWriter output, TextWriter error)
    {
        if (arguments.Count != 2 || arguments[0] is not ("-f" or "--file"))
        {
            throw new UsageException(Usage);
        }

        DeepSeekDeployment deployment;
        try
        {
            deployment = Read(File.ReadAllText(arguments[1]));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or JsonException)
        {
            error.WriteLine($"{arguments[1]}: {e.Message}");
            return 1;
        }

        var errors = SpecValidator.Validate(deployment);
        if (errors.Count > 0)
        {
            error.WriteLine($"{arguments[1]}: DeepSeekDeployment {deployment.Metadata.Name} is invalid:");
            foreach (var specError in errors)
            {
                error.WriteLine($"  {specError}");
            }

            return 1;
        }

        output.Write(YamlText.WriteDocuments(DesiredState.Build(deployment).All.Select(ToJson)));
        return 0;
    }

    /// <summary>One DeepSeekDeployment from YAML or JSON text, with the namespace defaulted as kubectl would.</summary>
    public static DeepSeekDeployment Read(string text)
    {
        var documents = YamlText.ReadDocuments(text);
        if (documents.Count != 1)
        {
            throw new FormatException($"expected one DeepSeekDeployment document, found {documents.Count}");
        }

        var deployment = documents[0].Deserialize(OperatorJsonContext.Default.DeepSeekDeployment)
            ?? throw new FormatException("the document is empty");
        if (deployment.Kind != DeepSeekDeployment.KindName || deployment.ApiVersion != DeepSeekDeployment.ApiVersionValue)
        {
            throw new FormatException($"expected apiVersion {DeepSeekDeployment.ApiVersionValue}, kind {DeepSeekDeployment.KindName}; got {deployment.ApiVersion}, {deployment.Kind}");
        }

        if (string.IsNullOrEmpty(deployment.Metadata.Name))
        {
            throw new FormatException("metadata.name is required");
        }

        deployment.Metadata.Namespace ??= "default";
        return deployment;
    }

    public static JsonNode ToJson(KubernetesObject child) => child switch
    {
        ConfigMap c => JsonSerializer.SerializeToNode(c, KubernetesJsonContext.Default.ConfigMap)!,
        Service s => JsonSerializer.SerializeToNode(s, KubernetesJsonContext.Default.Service)!,
        StatefulSet s => JsonSerializer.SerializeToNode(s, KubernetesJsonContext.Default.StatefulSet)!,
        Deployment d => JsonSerializer.SerializeToNode(d, KubernetesJsonContext.Default.Deployment)!,
        PodDisruptionBudget p => JsonSerializer.SerializeToNode(p, KubernetesJsonContext.Default.PodDisruptionBudget)!,
        NetworkPolicy n => JsonSerializer.SerializeToNode(n, KubernetesJsonContext.Default.NetworkPolicy)!,
        _ => throw new ArgumentException($"cannot render {child.GetType().Name}", nameof(child)),
    };
}
