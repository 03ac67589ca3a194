namespace DeepSeekV3.Kubernetes.Models;

/// <summary>apps/v1 StatefulSet: stable pod names ({name}-{ordinal}) give each rank of a group its identity.</summary>
public sealed class StatefulSet : KubernetesObject
{
    public StatefulSetSpec? Spec { get; set; }

    public StatefulSetStatus? Status { get; set; }
}
