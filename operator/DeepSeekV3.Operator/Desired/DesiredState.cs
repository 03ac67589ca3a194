using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Api.V1Alpha1;

namespace DeepSeekV3.Operator.Desired;

/// <summary>
/// The children a valid DeepSeekDeployment should have, as a pure function of its spec. Every child has one
/// controller ownerReference to the deployment, the standard labels, a name from <see cref="Names"/>, and a
/// spec-hash annotation the reconciler compares instead of diffing fields the API server defaults.
/// </summary>
public static class DesiredState
{
    public static DesiredChildren Build(DeepSeekDeployment deployment)
    {
        var groups = new List<StatefulSet>();
        foreach (var role in new[] { PoolRole.Prefill, PoolRole.Decode })
        {
            var pool = role == PoolRole.Prefill ? deployment.Spec.Prefill : deployment.Spec.Decode;
            groups.AddRange(Enumerable.Range(0, pool.Replicas).Select(group => WorkerGroupBuilder.Build(deployment, role, group)));
        }

        var children = new DesiredChildren(
            TopologyBuilder.Build(deployment),
            [
                PoolServiceBuilder.PoolService(deployment, PoolRole.Prefill),
                PoolServiceBuilder.ServingService(deployment, PoolRole.Prefill),
                PoolServiceBuilder.PoolService(deployment, PoolRole.Decode),
                PoolServiceBuilder.ServingService(deployment, PoolRole.Decode),
                RouterBuilder.Service(deployment),
            ],
            groups,
            RouterBuilder.Deployment(deployment),
            [PolicyBuilder.PoolBudget(deployment, PoolRole.Prefill), PolicyBuilder.PoolBudget(deployment, PoolRole.Decode), PolicyBuilder.RouterBudget(deployment)],
            PolicyBuilder.WorkerNetworkPolicy(deployment));
        foreach (var child in children.All)
        {
            Stamp(child);
        }

        return children;
    }

    /// <summary>
    /// The groups of a pool at indices [replicas, replicas + count): surge groups a rollout may run beside the others
    /// (rollout.maxSurge). Built and stamped exactly like the regular groups.
    /// </summary>
    public static IReadOnlyList<StatefulSet> SurgeGroups(DeepSeekDeployment deployment, PoolRole role, int count)
    {
        var pool = role == PoolRole.Prefill ? deployment.Spec.Prefill : deployment.Spec.Decode;
        var groups = Enumerable.Range(pool.Replicas, count).Select(index => WorkerGroupBuilder.Build(deployment, role, index)).ToList();
        groups.ForEach(Stamp);
        return groups;
    }

    /// <summary>The spec-hash annotation of a child as built (null when it has none).</summary>
    public static string? HashOf(KubernetesObject child) => child.Metadata.Annotations?.GetValueOrDefault(Labels.SpecHash);

    private static void Stamp(KubernetesObject child)
    {
        string hash = SpecHash.OfText(ChildJson.ToNode(child).ToJsonString());
        child.Metadata.Annotations ??= [];
        child.Metadata.Annotations[Labels.SpecHash] = hash;
    }
}
