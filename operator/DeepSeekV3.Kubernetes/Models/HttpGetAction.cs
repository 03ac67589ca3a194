namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 HTTPGetAction.</summary>
public sealed class HttpGetAction
{
    public string? Path { get; set; }

    public IntOrString Port { get; set; }

    public string? Scheme { get; set; }
}
