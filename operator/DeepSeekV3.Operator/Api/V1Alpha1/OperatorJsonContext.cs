using System.Text.Json.Serialization;
using DeepSeekV3.Kubernetes.Models;

namespace DeepSeekV3.Operator.Api.V1Alpha1;

/// <summary>Source-generated JSON for the custom resource, with the same conventions as KubernetesJsonContext (camelCase, unset fields omitted).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DeepSeekDeployment))]
[JsonSerializable(typeof(KubernetesList<DeepSeekDeployment>))]
public sealed partial class OperatorJsonContext : JsonSerializerContext;
