namespace DeepSeekV3.Kubernetes.Models;

/// <summary>apps/v1 StatefulSetStatus.</summary>
public sealed class StatefulSetStatus
{
    public long? ObservedGeneration { get; set; }

    public int Replicas { get; set; }

    public int? ReadyReplicas { get; set; }

    public int? CurrentReplicas { get; set; }

    public int? UpdatedReplicas { get; set; }

    public int? AvailableReplicas { get; set; }

    public string? CurrentRevision { get; set; }

    public string? UpdateRevision { get; set; }
}
