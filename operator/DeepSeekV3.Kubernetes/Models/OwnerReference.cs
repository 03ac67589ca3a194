namespace DeepSeekV3.Kubernetes.Models;

/// <summary>
/// metav1.OwnerReference. The garbage collector deletes a dependent once every owner is gone;
/// at most one reference may have <see cref="Controller"/> = true.
/// </summary>
public sealed class OwnerReference
{
    public string ApiVersion { get; set; } = "";

    public string Kind { get; set; } = "";

    public string Name { get; set; } = "";

    public string Uid { get; set; } = "";

    public bool? Controller { get; set; }

    /// <summary>With foreground deletion, the owner waits until this dependent is gone.</summary>
    public bool? BlockOwnerDeletion { get; set; }
}
