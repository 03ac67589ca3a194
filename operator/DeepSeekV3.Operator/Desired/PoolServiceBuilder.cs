using DeepSeekV3.Kubernetes;
using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Api.V1Alpha1;

namespace DeepSeekV3.Operator.Desired;

/// <summary>
/// Two headless Services per pool. The pool Service covers every rank, ready or not (publishNotReadyAddresses), and
/// is the StatefulSets' serviceName, so each rank has a stable DNS name while the group is still starting. The
/// serving Service covers ready pods that are not draining: the router's view of the pool. Every rank of a group runs
/// attention for its own requests (data-parallel attention) and reports ready only once its whole group serves.
/// </summary>
public static class PoolServiceBuilder
{
    public static Service PoolService(DeepSeekDeployment owner, PoolRole role) =>
        Headless(owner, role, Names.PoolService(owner.Metadata.Name ?? "", role), ChildMetadata.SelectorLabels(owner, Names.Pool(role)), publishNotReady: true);

    public static Service ServingService(DeepSeekDeployment owner, PoolRole role)
    {
        var selector = ChildMetadata.SelectorLabels(owner, Names.Pool(role));
        selector[Labels.Serving] = "true";
        return Headless(owner, role, Names.ServingService(owner.Metadata.Name ?? "", role), selector, publishNotReady: false);
    }

    private static Service Headless(DeepSeekDeployment owner, PoolRole role, string name, Dictionary<string, string> selector, bool publishNotReady) => new()
    {
        ApiVersion = ResourceKind.Services.ApiVersion,
        Kind = ResourceKind.Services.Kind,
        Metadata = ChildMetadata.For(owner, name, Names.Pool(role)),
        Spec = new ServiceSpec
        {
            ClusterIP = "None",
            Selector = selector,
            PublishNotReadyAddresses = publishNotReady,
            Ports = [new ServicePort { Name = "grpc", Port = Ports.WorkerGrpc, TargetPort = Ports.WorkerGrpc, Protocol = "TCP", AppProtocol = "kubernetes.io/h2c" }],
        },
    };
}
