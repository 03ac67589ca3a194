using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Api.Schema;

namespace DeepSeekV3.Operator.Api.V1Alpha1;

/// <summary>
/// One served DeepSeek-V3-family model: prefill and decode pools of worker groups behind a router.
/// `kubectl scale dsd/NAME --replicas=N` sets the number of decode groups; the scale selector matches only
/// rank-0 (leader) pods, so an HPA averages one value per group.
/// </summary>
[KubernetesEntity(Group, Version, KindName, Plural, ShortNames = ["dsd"], Categories = ["all", "deepseek"])]
[ScaleSubresource(".spec.decode.replicas", ".status.replicas", ".status.selector")]
[PrinterColumn("Phase", "string", ".status.phase")]
[PrinterColumn("Ready", "string", ".status.ready", Description = "Ready decode groups / desired decode groups")]
[PrinterColumn("Decode", "integer", ".spec.decode.replicas", Description = "Desired decode groups")]
[PrinterColumn("Prefill", "integer", ".spec.prefill.replicas", Description = "Desired prefill groups")]
[PrinterColumn("Model", "string", ".spec.model.name", Priority = 1)]
[PrinterColumn("Endpoint", "string", ".status.endpoint", Priority = 1)]
[PrinterColumn("Age", "date", ".metadata.creationTimestamp")]
[Description("DeepSeekDeployment serves one DeepSeek-V3-family model (V3, V3-0324, R1, V3.1) with disaggregated prefill and decode worker groups behind an OpenAI-compatible router.")]
public sealed class DeepSeekDeployment : KubernetesObject
{
    public const string Group = "deepseekv3.io";
    public const string Version = "v1alpha1";
    public const string KindName = "DeepSeekDeployment";
    public const string Plural = "deepseekdeployments";
    public const string ApiVersionValue = Group + "/" + Version;

    [Required]
    [Description("Desired state: the model, the image, the prefill and decode pools, the router, scheduling and rollout.")]
    public DeepSeekDeploymentSpec Spec { get; set; } = new();

    [Description("Observed state, written by the operator.")]
    public DeepSeekDeploymentStatus? Status { get; set; }
}
