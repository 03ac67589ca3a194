using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Api.Schema;

namespace DeepSeekV3.Operator.Api.V1Alpha1;

[Description("A pool of identical worker groups. One group is one model replica: nodesPerReplica pods (one per node, ranks 0..n-1) with expert-parallel MoE across all their GPUs.")]
// The 256 routed experts of every DeepSeek-V3-family checkpoint (CapacityPlanner.RoutedExperts; a test keeps them equal):
// the API server refuses a group whose expert slots cannot be split evenly before the operator ever sees it.
[ValidationRule("(256 + self.redundantExperts) % (self.nodesPerReplica * self.gpusPerNode) == 0",
    "the 256 routed experts plus redundantExperts must divide evenly over the group's GPUs (nodesPerReplica x gpusPerNode)")]
public sealed class PoolSpec
{
    [Default("1")]
    [Minimum(0)]
    [Maximum(1024)]
    [Description("Number of groups (model replicas).")]
    public int Replicas { get; set; } = 1;

    [Default("1")]
    [Minimum(1)]
    [Maximum(64)]
    [Description("Pods (nodes) per group.")]
    public int NodesPerReplica { get; set; } = 1;

    [Default("8")]
    [Minimum(1)]
    [Maximum(16)]
    [Description("GPUs per pod, requested as nvidia.com/gpu.")]
    public int GpusPerNode { get; set; } = 8;

    [Default("80")]
    [Minimum(1)]
    [Maximum(1024)]
    [Description("Memory of one GPU in GiB, used to check that the model fits and to size the KV cache (80 for H100, 141 for H200).")]
    public int GpuMemoryGiB { get; set; } = 80;

    [Default("0")]
    [Minimum(0)]
    [Maximum(256)]
    [Description("Extra expert slots per MoE layer holding copies of hot experts. Routed (256) plus redundant experts must divide evenly over the group's GPUs.")]
    public int RedundantExperts { get; set; }

    [Description("CPU and memory for each worker pod; GPU requests come from gpusPerNode.")]
    public ResourceRequirements? Resources { get; set; }
}
