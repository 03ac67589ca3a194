using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSeekV3.Kubernetes;
using DeepSeekV3.Kubernetes.Models;

namespace DeepSeekV3.Operator.Desired;

/// <summary>
/// The JSON of a child of any kind the operator creates, through the source-generated models (fixed property order):
/// what `render` prints and what the spec hash is taken over.
/// </summary>
public static class ChildJson
{
    public static JsonNode ToNode(KubernetesObject child) => child switch
    {
        ConfigMap c => JsonSerializer.SerializeToNode(c, KubernetesJsonContext.Default.ConfigMap)!,
        Service s => JsonSerializer.SerializeToNode(s, KubernetesJsonContext.Default.Service)!,
        StatefulSet s => JsonSerializer.SerializeToNode(s, KubernetesJsonContext.Default.StatefulSet)!,
        Deployment d => JsonSerializer.SerializeToNode(d, KubernetesJsonContext.Default.Deployment)!,
        PodDisruptionBudget p => JsonSerializer.SerializeToNode(p, KubernetesJsonContext.Default.PodDisruptionBudget)!,
        NetworkPolicy n => JsonSerializer.SerializeToNode(n, KubernetesJsonContext.Default.NetworkPolicy)!,
        _ => throw new ArgumentException($"{child.GetType().Name} is not a kind the operator creates", nameof(child)),
    };
}
