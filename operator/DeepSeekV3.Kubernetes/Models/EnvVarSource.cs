namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 EnvVarSource.</summary>
public sealed class EnvVarSource
{
    public ObjectFieldSelector? FieldRef { get; set; }

    public SecretKeySelector? SecretKeyRef { get; set; }
}
