namespace DeepSeekV3.Operator.Api.Schema;

/// <summary>
/// The CRD's scale subresource: which spec and status fields `kubectl scale` and the HPA read and write,
/// and where the label selector (string form) of the pods they average over lives.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ScaleSubresourceAttribute(string specReplicasPath, string statusReplicasPath, string labelSelectorPath) : Attribute
{
    public string SpecReplicasPath { get; } = specReplicasPath;

    public string StatusReplicasPath { get; } = statusReplicasPath;

    public string LabelSelectorPath { get; } = labelSelectorPath;
}
