using DeepSeekV3.Operator.Api.Schema;

namespace DeepSeekV3.Operator.Api.V1Alpha1;

[Description("A checkpoint directory present on every node.")]
public sealed class HostPathSource
{
    [Required]
    [MaxLength(1024)]
    [Pattern("^/")]
    [Description("Absolute path of the checkpoint directory on the node.")]
    public string Path { get; set; } = "";
}
