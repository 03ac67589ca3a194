namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 ContainerStateWaiting (ImagePullBackOff, CrashLoopBackOff, ContainerCreating, ...).</summary>
public sealed class ContainerStateWaiting
{
    public string? Reason { get; set; }

    public string? Message { get; set; }
}
