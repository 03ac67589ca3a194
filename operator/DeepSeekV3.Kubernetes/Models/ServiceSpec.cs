namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 ServiceSpec. ClusterIP "None" makes a headless Service: one DNS record per ready pod.</summary>
public sealed class ServiceSpec
{
    public string? Type { get; set; }

    public string? ClusterIP { get; set; }

    public Dictionary<string, string>? Selector { get; set; }

    public List<ServicePort>? Ports { get; set; }

    /// <summary>Lets ranks of a group find each other before they are ready.</summary>
    public bool? PublishNotReadyAddresses { get; set; }
}
