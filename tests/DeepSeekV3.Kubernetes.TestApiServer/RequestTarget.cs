namespace DeepSeekV3.Kubernetes.TestApiServer;

/// <summary>
/// A parsed resource URL (api-concepts.md "Resource URIs"): /api/v1 or /apis/{group}/{version}, then
/// [namespaces/{ns}/]{plural}[/{name}[/{subresource}]].
/// </summary>
public sealed record RequestTarget(string Group, string Version, string Plural, string? Namespace, string? Name, string? Subresource)
{
    public static RequestTarget? Parse(string path)
    {
        var parts = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        string group, version;
        int at;
        if (parts.Length >= 2 && parts[0] == "api")
        {
            (group, version, at) = ("", parts[1], 2);
        }
        else if (parts.Length >= 3 && parts[0] == "apis")
        {
            (group, version, at) = (parts[1], parts[2], 3);
        }
        else
        {
            return null;
        }

        var rest = parts[at..];
        if (rest.Length >= 3 && rest[0] == "namespaces")
        {
            return new(group, version, rest[2], rest[1], rest.Length > 3 ? rest[3] : null, rest.Length > 4 ? rest[4] : null);
        }

        return rest.Length switch
        {
            0 => null,
            1 => new(group, version, rest[0], null, null, null),
            2 => new(group, version, rest[0], null, rest[1], null),
            _ => new(group, version, rest[0], null, rest[1], rest[2]),
        };
    }
}
