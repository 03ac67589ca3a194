namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 EnvFromSource: every key of a Secret as an environment variable.</summary>
public sealed class EnvFromSource
{
    public LocalObjectReference? SecretRef { get; set; }
}
