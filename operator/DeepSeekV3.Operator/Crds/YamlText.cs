using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;

namespace DeepSeekV3.Operator.Crds;

/// <summary>
/// JSON trees ⇄ YAML text, the way kubectl treats YAML: as another spelling of the JSON object model (the
/// Kubernetes API accepts only JSON-compatible YAML). Strings that would read back as another type are quoted.
/// </summary>
public static class YamlText
{
    private static readonly ISerializer s_serializer = new SerializerBuilder().WithQuotingNecessaryStrings().Build();

    public static string Write(JsonNode node) => s_serializer.Serialize(ToPlain(node));

    /// <summary>Several objects as one multi-document stream, each starting with "---".</summary>
    public static string WriteDocuments(IEnumerable<JsonNode> nodes) => string.Concat(nodes.Select(n => "---\n" + Write(n)));

    /// <summary>Every document of a YAML stream as JSON; scalars keep their YAML 1.2 core-schema types.</summary>
    public static List<JsonNode> ReadDocuments(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new FormatException($"invalid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}", e);
        }

        return [.. stream.Documents.Where(d => d.RootNode is not YamlScalarNode { Value: null or "" }).Select(d => ToJson(d.RootNode)!)];
    }

    private static object? ToPlain(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(p => p.Key, p => ToPlain(p.Value)),
        JsonArray a => a.Select(ToPlain).ToList(),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            // A JsonValue made from an int will not hand out a long, so go through its JSON text.
            JsonValueKind.Number => long.TryParse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture, out long l)
                ? l
                : double.Parse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture),
            _ => null,
        },
        _ => null,
    };

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value ?? "", ToJson(c.Value)))),
        YamlSequenceNode s => new JsonArray([.. s.Children.Select(ToJson)]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => null,
    };

    /// <summary>YAML 1.2 core schema: plain null/true/false/numbers are typed; quoted scalars are strings.</summary>
    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        string value = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return JsonValue.Create(value);
        }

        return value switch
        {
            "" or "~" or "null" or "Null" or "NULL" => null,
            "true" or "True" or "TRUE" => JsonValue.Create(true),
            "false" or "False" or "FALSE" => JsonValue.Create(false),
            _ when long.TryParse(value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out long l) => JsonValue.Create(l),
            _ when double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double d) && value.Any(char.IsDigit) && !value.Contains('_', StringComparison.Ordinal) => JsonValue.Create(d),
            _ => JsonValue.Create(value),
        };
    }
}
