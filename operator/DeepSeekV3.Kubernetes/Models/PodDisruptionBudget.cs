using System.Text.Json;

namespace DeepSeekV3.Kubernetes.Models;

/// <summary>policy/v1 PodDisruptionBudget.</summary>
public sealed class PodDisruptionBudget : KubernetesObject
{
    public PodDisruptionBudgetSpec? Spec { get; set; }

    /// <summary>Computed by the disruption controller, passed through.</summary>
    public JsonElement? Status { get; set; }
}
