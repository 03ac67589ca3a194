using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSeekV3.Kubernetes;
using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Api.V1Alpha1;

namespace DeepSeekV3.Operator.Desired;

/// <summary>
/// The topology ConfigMap: every pool, group and rank address in one document, for operators of the system and for
/// tools; pods get the same facts through their environment, so nothing waits on this file.
/// </summary>
public static class TopologyBuilder
{
    public const string Key = "topology.json";

    public static ConfigMap Build(DeepSeekDeployment owner)
    {
        string name = owner.Metadata.Name ?? "";
        string ns = owner.Metadata.Namespace ?? "default";
        JsonObject Pool(PoolRole role, PoolSpec pool) => new()
        {
            ["groups"] = new JsonArray([.. Enumerable.Range(0, pool.Replicas).Select(group => (JsonNode)new JsonObject
            {
                ["statefulSet"] = Names.GroupStatefulSet(name, role, group),
                ["ranks"] = new JsonArray([.. Enumerable.Range(0, pool.NodesPerReplica)
                    .Select(rank => (JsonNode)JsonValue.Create(Names.RankAddress(name, ns, role, group, rank, Ports.WorkerGrpc)))]),
            })]),
            ["nodesPerReplica"] = pool.NodesPerReplica,
            ["gpusPerNode"] = pool.GpusPerNode,
            ["redundantExperts"] = pool.RedundantExperts,
            ["serving"] = $"{Names.ServingService(name, role)}.{ns}.svc:{Ports.WorkerGrpc}",
        };
        var topology = new JsonObject
        {
            ["model"] = owner.Spec.Model.Name,
            ["precision"] = owner.Spec.Model.Precision == ModelPrecision.Fp8 ? "fp8" : "bf16",
            ["prefill"] = Pool(PoolRole.Prefill, owner.Spec.Prefill),
            ["decode"] = Pool(PoolRole.Decode, owner.Spec.Decode),
            ["endpoint"] = RouterBuilder.Endpoint(owner),
        };
        return new ConfigMap
        {
            ApiVersion = ResourceKind.ConfigMaps.ApiVersion,
            Kind = ResourceKind.ConfigMaps.Kind,
            Metadata = ChildMetadata.For(owner, Names.Topology(name), "topology"),
            Data = new() { [Key] = topology.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) },
        };
    }
}
