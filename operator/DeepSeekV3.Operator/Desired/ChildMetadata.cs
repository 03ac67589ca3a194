using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Api.V1Alpha1;

namespace DeepSeekV3.Operator.Desired;

/// <summary>Metadata every child shares: its namespace, the standard labels and the controller ownerReference.</summary>
public static class ChildMetadata
{
    public static ObjectMeta For(DeepSeekDeployment owner, string name, string component, Dictionary<string, string>? extraLabels = null)
    {
        var labels = SelectorLabels(owner, component);
        labels[Labels.Name] = Labels.NameValue;
        labels[Labels.ManagedBy] = Labels.ManagedByValue;
        labels[Labels.PartOf] = Labels.PartOfValue;
        foreach (var (key, value) in extraLabels ?? [])
        {
            labels[key] = value;
        }

        return new ObjectMeta
        {
            Name = name,
            Namespace = owner.Metadata.Namespace,
            Labels = labels,
            // One controller reference: the garbage collector deletes the child with its DeepSeekDeployment, and
            // blockOwnerDeletion makes a foreground delete wait for it (api-conventions: owners and dependents).
            OwnerReferences =
            [
                new OwnerReference
                {
                    ApiVersion = DeepSeekDeployment.ApiVersionValue,
                    Kind = DeepSeekDeployment.KindName,
                    Name = owner.Metadata.Name ?? "",
                    Uid = owner.Metadata.Uid ?? "",
                    Controller = true,
                    BlockOwnerDeletion = true,
                },
            ],
        };
    }

    /// <summary>The labels selectors match on: which deployment and which component.</summary>
    public static Dictionary<string, string> SelectorLabels(DeepSeekDeployment owner, string component) => new()
    {
        [Labels.Instance] = owner.Metadata.Name ?? "",
        [Labels.Component] = component,
    };
}
