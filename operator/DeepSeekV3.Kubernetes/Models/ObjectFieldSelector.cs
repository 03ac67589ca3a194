namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 ObjectFieldSelector (the downward API).</summary>
public sealed class ObjectFieldSelector
{
    public string FieldPath { get; set; } = "";

    public string? ApiVersion { get; set; }
}
