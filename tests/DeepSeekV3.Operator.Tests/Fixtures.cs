using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Api.V1Alpha1;

namespace DeepSeekV3.Operator.Tests;

/// <summary>DeepSeekDeployments for tests, built in code so each test states the fields it depends on.</summary>
public static class Fixtures
{
    /// <summary>DeepSeek-V3 FP8 on one 8 x 141 GB node per group: the smallest topology that fits.</summary>
    public static DeepSeekDeployment H200(string name = "v3", int prefill = 1, int decode = 2) => new()
    {
        ApiVersion = DeepSeekDeployment.ApiVersionValue,
        Kind = DeepSeekDeployment.KindName,
        Metadata = new ObjectMeta { Name = name, Namespace = "inference", Uid = "6f1d3c1e-0000-4000-8000-000000000001", Generation = 1 },
        Spec = new DeepSeekDeploymentSpec
        {
            Model = new ModelSpec { Name = "deepseek-ai/DeepSeek-V3", Source = new ModelSource { Pvc = new PvcSource { ClaimName = "weights" } } },
            Image = "ghcr.io/deepseekv3-cluster/dsv3:0.1.0",
            Prefill = new PoolSpec { Replicas = prefill, NodesPerReplica = 1, GpusPerNode = 8, GpuMemoryGiB = 141 },
            Decode = new PoolSpec { Replicas = decode, NodesPerReplica = 1, GpusPerNode = 8, GpuMemoryGiB = 141 },
        },
    };
}
