namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 EnvVar: a literal value or a reference.</summary>
public sealed class EnvVar
{
    public string Name { get; set; } = "";

    public string? Value { get; set; }

    public EnvVarSource? ValueFrom { get; set; }
}
