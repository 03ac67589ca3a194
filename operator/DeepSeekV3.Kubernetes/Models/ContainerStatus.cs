namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 ContainerStatus.</summary>
public sealed class ContainerStatus
{
    public string Name { get; set; } = "";

    public bool Ready { get; set; }

    public bool? Started { get; set; }

    public int RestartCount { get; set; }

    public string? Image { get; set; }

    public ContainerState? State { get; set; }

    public ContainerState? LastState { get; set; }
}
