using System.Net;
using DeepSeekV3.Kubernetes.Models;

namespace DeepSeekV3.Kubernetes.Client;

/// <summary>
/// A request the API server refused, with its metav1.Status (api-conventions.md "Response Status Kind"): the HTTP
/// code, the machine-readable reason (NotFound, AlreadyExists, Conflict, Invalid, Expired, ...) and the message.
/// </summary>
public sealed class KubernetesApiException : Exception
{
    public KubernetesApiException(HttpStatusCode statusCode, Status? status, string fallbackMessage)
        : base(status?.Message is { Length: > 0 } message ? $"{(int)statusCode} {status.Reason}: {message}" : $"{(int)statusCode}: {fallbackMessage}")
    {
        StatusCode = statusCode;
        Status = status;
    }

    public KubernetesApiException()
    {
    }

    public KubernetesApiException(string message)
        : base(message)
    {
    }

    public KubernetesApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public HttpStatusCode StatusCode { get; }

    public Status? Status { get; }

    public string? Reason => Status?.Reason;

    public bool IsNotFound => StatusCode == HttpStatusCode.NotFound;

    public bool IsConflict => StatusCode == HttpStatusCode.Conflict && Reason != "AlreadyExists";

    public bool IsAlreadyExists => StatusCode == HttpStatusCode.Conflict && Reason == "AlreadyExists";

    /// <summary>410 Gone: the resourceVersion asked for is older than the server keeps (relist, then watch again).</summary>
    public bool IsGone => StatusCode == HttpStatusCode.Gone || Reason == "Expired" || Status?.Code == 410;
}
