namespace DeepSeekV3.Kubernetes.Models;

/// <summary>metav1.LabelSelector: all matchLabels and all expressions must hold.</summary>
public sealed class LabelSelector
{
    public Dictionary<string, string>? MatchLabels { get; set; }

    public List<LabelSelectorRequirement>? MatchExpressions { get; set; }
}
