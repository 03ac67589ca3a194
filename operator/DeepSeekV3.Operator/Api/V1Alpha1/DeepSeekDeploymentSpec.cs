using DeepSeekV3.Operator.Api.Schema;

namespace DeepSeekV3.Operator.Api.V1Alpha1;

[Description("Desired state of a DeepSeekDeployment.")]
public sealed class DeepSeekDeploymentSpec
{
    [Required]
    [Description("The model to serve: its served name, where the weights come from and their precision.")]
    public ModelSpec Model { get; set; } = new();

    [Required]
    [MaxLength(512)]
    [Description("Container image of the dsv3 worker (used by prefill, decode and router pods).")]
    public string Image { get; set; } = "";

    [Description("Image pull policy of every container: Always, IfNotPresent or Never.")]
    public ImagePullPolicy? ImagePullPolicy { get; set; }

    [Description("Secrets with registry credentials for pulling the image.")]
    public List<string>? ImagePullSecrets { get; set; }

    [Required]
    [Description("Prefill pool: groups that run prompts and stream the KV cache to decode groups.")]
    public PoolSpec Prefill { get; set; } = new();

    [Required]
    [Description("Decode pool: groups that receive KV caches and generate tokens. The scale subresource sets its replicas.")]
    public PoolSpec Decode { get; set; } = new();

    [Default("{}")]
    [Description("The OpenAI-compatible router in front of the pools.")]
    public RouterSpec Router { get; set; } = new();

    [Description("Where worker and router pods may run.")]
    public SchedulingSpec? Scheduling { get; set; }

    [Default("{}")]
    [Description("How image and model changes roll out over groups.")]
    public RolloutSpec Rollout { get; set; } = new();
}
