using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Api.Schema;

namespace DeepSeekV3.Operator.Api.V1Alpha1;

[Description("Observed state of a DeepSeekDeployment.")]
public sealed class DeepSeekDeploymentStatus
{
    [Description("The metadata.generation this status describes.")]
    public long? ObservedGeneration { get; set; }

    [Description("One-word summary: Pending, Progressing, Available, Degraded or Invalid.")]
    public DeploymentPhase? Phase { get; set; }

    [Description("Available, Progressing, UpdateInProgress, Degraded and SpecValid, with reasons.")]
    public List<Condition>? Conditions { get; set; }

    [Description("Decode groups that exist (the scale subresource's status replicas).")]
    public int Replicas { get; set; }

    [Description("Label selector of decode leader (rank-0) pods in string form, for the scale subresource and HPAs.")]
    public string? Selector { get; set; }

    [Description("Ready decode groups / desired decode groups, for kubectl get.")]
    public string? Ready { get; set; }

    [Description("The prefill pool.")]
    public PoolStatus? Prefill { get; set; }

    [Description("The decode pool.")]
    public PoolStatus? Decode { get; set; }

    [Description("In-cluster URL of the OpenAI-compatible API.")]
    public string? Endpoint { get; set; }
}
