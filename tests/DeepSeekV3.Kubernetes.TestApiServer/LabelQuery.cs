using System.Text.Json.Nodes;

namespace DeepSeekV3.Kubernetes.TestApiServer;

/// <summary>
/// The label selector grammar of list and watch requests (labels.Parse in apimachinery): comma-separated
/// requirements "k=v", "k==v", "k!=v", "k in (a,b)", "k notin (a,b)", "k", "!k"; all must hold.
/// </summary>
public sealed class LabelQuery
{
    private readonly List<Func<IReadOnlyDictionary<string, string>, bool>> _requirements = [];

    public static LabelQuery Parse(string? text)
    {
        var selector = new LabelQuery();
        if (string.IsNullOrWhiteSpace(text))
        {
            return selector;
        }

        foreach (string part in SplitTopLevel(text))
        {
            string requirement = part.Trim();
            int inAt = requirement.IndexOf(" in ", StringComparison.Ordinal), notInAt = requirement.IndexOf(" notin ", StringComparison.Ordinal);
            if (notInAt > 0)
            {
                string key = requirement[..notInAt].Trim();
                var values = Set(requirement[(notInAt + 7)..]);
                selector._requirements.Add(labels => !labels.TryGetValue(key, out var v) || !values.Contains(v));
            }
            else if (inAt > 0)
            {
                string key = requirement[..inAt].Trim();
                var values = Set(requirement[(inAt + 4)..]);
                selector._requirements.Add(labels => labels.TryGetValue(key, out var v) && values.Contains(v));
            }
            else if (requirement.Contains("!=", StringComparison.Ordinal))
            {
                var (key, value) = Split(requirement, "!=");
                selector._requirements.Add(labels => !labels.TryGetValue(key, out var v) || v != value);
            }
            else if (requirement.Contains('=', StringComparison.Ordinal))
            {
                var (key, value) = Split(requirement, requirement.Contains("==", StringComparison.Ordinal) ? "==" : "=");
                selector._requirements.Add(labels => labels.TryGetValue(key, out var v) && v == value);
            }
            else if (requirement.StartsWith('!'))
            {
                string key = requirement[1..].Trim();
                selector._requirements.Add(labels => !labels.ContainsKey(key));
            }
            else if (requirement.Length > 0)
            {
                selector._requirements.Add(labels => labels.ContainsKey(requirement));
            }
        }

        return selector;
    }

    public bool Matches(JsonObject item)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (item["metadata"]?["labels"] is JsonObject found)
        {
            foreach (var (key, value) in found)
            {
                labels[key] = value?.GetValue<string>() ?? "";
            }
        }

        return _requirements.All(r => r(labels));
    }

    private static (string Key, string Value) Split(string requirement, string op)
    {
        int at = requirement.IndexOf(op, StringComparison.Ordinal);
        return (requirement[..at].Trim(), requirement[(at + op.Length)..].Trim());
    }

    private static HashSet<string> Set(string text)
    {
        string inner = text.Trim();
        if (!inner.StartsWith('(') || !inner.EndsWith(')'))
        {
            throw ApiException.BadRequest($"unable to parse requirement: values must be in parentheses: {text}");
        }

        return [.. inner[1..^1].Split(',').Select(v => v.Trim()).Where(v => v.Length > 0)];
    }

    /// <summary>Splits on commas outside parentheses ("a in (x,y),b" is two requirements).</summary>
    private static List<string> SplitTopLevel(string text)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            depth += text[i] == '(' ? 1 : text[i] == ')' ? -1 : 0;
            if (text[i] == ',' && depth == 0)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }

        parts.Add(text[start..]);
        return parts;
    }
}
