using System.Text.Json.Nodes;

namespace DeepSeekV3.Kubernetes.TestApiServer;

/// <summary>The simple JSON paths of CRD scale subresources (".spec.decode.replicas").</summary>
public static class JsonPaths
{
    public static JsonNode? Get(JsonObject root, string path)
    {
        JsonNode? node = root;
        foreach (string key in Keys(path))
        {
            node = (node as JsonObject)?[key];
        }

        return node;
    }

    public static void Set(JsonObject root, string path, JsonNode? value)
    {
        var keys = Keys(path);
        var node = root;
        foreach (string key in keys[..^1])
        {
            if (node[key] is not JsonObject next)
            {
                node[key] = next = [];
            }

            node = next;
        }

        node[keys[^1]] = value;
    }

    private static string[] Keys(string path) => path.TrimStart('.').Split('.');
}
