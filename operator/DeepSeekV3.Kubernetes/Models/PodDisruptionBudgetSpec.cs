namespace DeepSeekV3.Kubernetes.Models;

/// <summary>policy/v1 PodDisruptionBudgetSpec.</summary>
public sealed class PodDisruptionBudgetSpec
{
    public IntOrString? MinAvailable { get; set; }

    public IntOrString? MaxUnavailable { get; set; }

    public LabelSelector? Selector { get; set; }
}
