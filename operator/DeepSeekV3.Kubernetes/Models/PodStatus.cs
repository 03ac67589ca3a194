namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 PodStatus.</summary>
public sealed class PodStatus
{
    /// <summary>Pending, Running, Succeeded, Failed or Unknown.</summary>
    public string? Phase { get; set; }

    public List<PodCondition>? Conditions { get; set; }

    public List<ContainerStatus>? ContainerStatuses { get; set; }

    public List<ContainerStatus>? InitContainerStatuses { get; set; }

    public string? PodIP { get; set; }

    public string? Reason { get; set; }

    public string? Message { get; set; }
}
