using DeepSeekV3.Operator.Api.Schema;

namespace DeepSeekV3.Operator.Api.V1Alpha1;

[Description("A key of a Secret in the DeepSeekDeployment's namespace.")]
public sealed class SecretKeyReference
{
    [Required]
    [MaxLength(253)]
    [Description("Secret name.")]
    public string Name { get; set; } = "";

    [Default("\"api-keys\"")]
    [MaxLength(253)]
    [Description("Key within the Secret.")]
    public string Key { get; set; } = "api-keys";
}
