using System.Net;
using System.Text.Json.Nodes;

namespace DeepSeekV3.Kubernetes.TestApiServer;

/// <summary>A refusal, answered as a metav1.Status body (api-conventions.md "Response Status Kind").</summary>
public sealed class ApiException : Exception
{
    public ApiException(HttpStatusCode code, string reason, string message, string? kind = null, string? name = null)
        : base(message)
    {
        Code = code;
        Reason = reason;
        Kind = kind;
        Name = name;
    }

    public ApiException()
    {
    }

    public ApiException(string message)
        : base(message)
    {
    }

    public ApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public HttpStatusCode Code { get; } = HttpStatusCode.InternalServerError;

    public string Reason { get; } = "InternalError";

    public string? Kind { get; }

    public string? Name { get; }

    public JsonObject ToStatus() => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = Message,
        ["reason"] = Reason,
        ["details"] = new JsonObject { ["name"] = Name, ["kind"] = Kind },
        ["code"] = (int)Code,
    };

    public static ApiException NotFound(ApiKind kind, string name) => new(HttpStatusCode.NotFound, "NotFound", $"{kind.Plural}.{kind.Group} \"{name}\" not found".Replace(". \"", " \"", StringComparison.Ordinal), kind.Plural, name);

    public static ApiException AlreadyExists(ApiKind kind, string name) => new(HttpStatusCode.Conflict, "AlreadyExists", $"{kind.Plural} \"{name}\" already exists", kind.Plural, name);

    public static ApiException Conflict(ApiKind kind, string name) =>
        new(HttpStatusCode.Conflict, "Conflict", $"Operation cannot be fulfilled on {kind.Plural} \"{name}\": the object has been modified; please apply your changes to the latest version and try again", kind.Plural, name);

    public static ApiException Invalid(ApiKind kind, string name, string message) => new(HttpStatusCode.UnprocessableEntity, "Invalid", message, kind.Kind, name);

    public static ApiException BadRequest(string message) => new(HttpStatusCode.BadRequest, "BadRequest", message);

    public static ApiException Gone(string message) => new(HttpStatusCode.Gone, "Expired", message);
}
