using DeepSeekV3.Operator.Api.Schema;

namespace DeepSeekV3.Operator.Api.V1Alpha1;

[Description("A PersistentVolumeClaim holding the checkpoint.")]
public sealed class PvcSource
{
    [Required]
    [MaxLength(253)]
    [Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")]
    [Description("Name of the claim, in the DeepSeekDeployment's namespace.")]
    public string ClaimName { get; set; } = "";

    [MaxLength(1024)]
    [Description("Directory of the checkpoint inside the volume (default: its root).")]
    public string? SubPath { get; set; }
}
