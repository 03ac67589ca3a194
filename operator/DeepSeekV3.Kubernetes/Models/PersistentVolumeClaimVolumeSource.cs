namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 PersistentVolumeClaimVolumeSource.</summary>
public sealed class PersistentVolumeClaimVolumeSource
{
    public string ClaimName { get; set; } = "";

    public bool? ReadOnly { get; set; }
}
