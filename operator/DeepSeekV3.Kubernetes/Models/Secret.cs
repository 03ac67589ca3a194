namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 Secret (read only for key lookups).</summary>
public sealed class Secret : KubernetesObject
{
    /// <summary>Base64-encoded values.</summary>
    public Dictionary<string, string>? Data { get; set; }

    public Dictionary<string, string>? StringData { get; set; }

    public string? Type { get; set; }
}
