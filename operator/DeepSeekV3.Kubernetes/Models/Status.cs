using System.Text.Json.Serialization;

namespace DeepSeekV3.Kubernetes.Models;

/// <summary>
/// metav1.Status: the body of every API error (api-conventions.md "Response Status Kind") and of
/// watch ERROR events. <see cref="Reason"/> is the machine-readable cause (NotFound, AlreadyExists,
/// Conflict, Expired/Gone, Invalid, ...).
/// </summary>
public sealed class Status
{
    public string? ApiVersion { get; set; } = "v1";

    public string? Kind { get; set; } = "Status";

    /// <summary>"Success" or "Failure" (the JSON field "status"; a member cannot share its type's name).</summary>
    [JsonPropertyName("status")]
    public string? Outcome { get; set; }

    public string? Message { get; set; }

    public string? Reason { get; set; }

    public StatusDetails? Details { get; set; }

    public int? Code { get; set; }
}
