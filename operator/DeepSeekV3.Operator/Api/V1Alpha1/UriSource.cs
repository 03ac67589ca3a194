using DeepSeekV3.Operator.Api.Schema;

namespace DeepSeekV3.Operator.Api.V1Alpha1;

[Description("A checkpoint fetched by an init container.")]
public sealed class UriSource
{
    [Required]
    [MaxLength(2048)]
    [Pattern("^(https?|s3|gs|hf)://")]
    [Description("Where to fetch the checkpoint from: https://, s3://, gs:// or hf://ORG/REPO.")]
    public string Uri { get; set; } = "";

    [Description("Secret whose keys are passed to the fetcher as environment variables (tokens, cloud credentials).")]
    [MaxLength(253)]
    public string? CredentialsSecret { get; set; }

    [Default("\"1Ti\"")]
    [Description("Size of the node-local volume the checkpoint is fetched into.")]
    [MaxLength(32)]
    public string CacheSize { get; set; } = "1Ti";
}
