using System.Text.Json;
using DeepSeekV3.Inference.Checkpoints;

namespace DeepSeekV3.Inference.Model;

/// <summary>Typed reads of config.json fields whose errors name the field and the file.</summary>
internal readonly struct ConfigJson(JsonElement root, string source)
{
    public string Source => source;

    public bool Has(string field) =>
        root.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null;

    public int Int(string field) => Element(field, JsonValueKind.Number).TryGetInt32(out int value)
        ? value
        : throw Error(field, "must be an integer");

    public int Int(string field, int fallback) => Has(field) ? Int(field) : fallback;

    public double Double(string field) => Element(field, JsonValueKind.Number).GetDouble();

    public double Double(string field, double fallback) => Has(field) ? Double(field) : fallback;

    public string String(string field) => Element(field, JsonValueKind.String).GetString()!;

    public string String(string field, string fallback) => Has(field) ? String(field) : fallback;

    public bool Bool(string field, bool fallback)
    {
        if (!Has(field))
        {
            return fallback;
        }

        var value = root.GetProperty(field);
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(field, "must be true or false"),
        };
    }

    public ConfigJson? Object(string field) => Has(field)
        ? new ConfigJson(Element(field, JsonValueKind.Object), $"{source} '{field}'")
        : null;

    public JsonElement Element(string field, JsonValueKind kind)
    {
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw Error(field, "is missing");
        }

        if (value.ValueKind != kind)
        {
            throw Error(field, $"must be a {kind.ToString().ToLowerInvariant()}, not {value.ValueKind.ToString().ToLowerInvariant()}");
        }

        return value;
    }

    public CheckpointException Error(string field, string problem) => new($"{source}: field '{field}' {problem}");
}
