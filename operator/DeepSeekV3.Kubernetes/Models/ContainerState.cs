using System.Text.Json;

namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 ContainerState: at most one member is set.</summary>
public sealed class ContainerState
{
    public ContainerStateWaiting? Waiting { get; set; }

    public JsonElement? Running { get; set; }

    public ContainerStateTerminated? Terminated { get; set; }
}
