namespace DeepSeekV3.Operator.Desired;

/// <summary>
/// Names of every child, derived from the DeepSeekDeployment's name. Pod names ({statefulset}-{rank}) are DNS labels
/// (≤ 63 characters), and the StatefulSet controller labels pods with controller-revision-hash={statefulset}-{10
/// characters}, which must also be ≤ 63: so a StatefulSet name may have at most 52 characters.
/// </summary>
public static class Names
{
    public const int MaxStatefulSetNameLength = 52;

    public static string Pool(PoolRole role) => role == PoolRole.Prefill ? "prefill" : "decode";

    public static string GroupStatefulSet(string deployment, PoolRole role, int group) => $"{deployment}-{Pool(role)}-{group}";

    /// <summary>Headless Service over every rank of a pool, ready or not, so ranks find each other while starting.</summary>
    public static string PoolService(string deployment, PoolRole role) => $"{deployment}-{Pool(role)}";

    /// <summary>Headless Service over ready rank-0 pods: the addresses the router sends work to.</summary>
    public static string ServingService(string deployment, PoolRole role) => $"{deployment}-{Pool(role)}-serving";

    public static string Router(string deployment) => $"{deployment}-router";

    public static string Topology(string deployment) => $"{deployment}-topology";

    public static string PoolDisruptionBudget(string deployment, PoolRole role) => $"{deployment}-{Pool(role)}";

    public static string WorkerNetworkPolicy(string deployment) => $"{deployment}-workers";

    /// <summary>Stable DNS name of one rank: {pod}.{headless service}.{namespace}.svc.</summary>
    public static string RankAddress(string deployment, string @namespace, PoolRole role, int group, int rank, int port) =>
        $"{GroupStatefulSet(deployment, role, group)}-{rank}.{PoolService(deployment, role)}.{@namespace}.svc:{port}";
}
