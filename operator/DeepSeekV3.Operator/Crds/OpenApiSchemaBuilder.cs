using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Api.Schema;

namespace DeepSeekV3.Operator.Crds;

/// <summary>
/// The structural OpenAPI v3 schema of a C# API type, read from its properties and our schema attributes. Reflection
/// is used only here, by the offline `crds` command. Rules applied (Kubernetes "CustomResourceDefinition" docs,
/// "Specifying a structural schema"): every node has a type; nullable C# properties are optional, not `nullable`;
/// [Default] becomes `default` (the API server applies it on read and write); a type's [ValidationRule]s become
/// x-kubernetes-validations on its object node; pass-through fields are `x-kubernetes-preserve-unknown-fields`.
/// </summary>
public static class OpenApiSchemaBuilder
{
    public static JsonObject For(Type type) => TypeSchema(type, description: null);

    private static JsonObject TypeSchema(Type type, string? description)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        var schema = new JsonObject();
        if (type == typeof(string))
        {
            schema["type"] = "string";
        }
        else if (type == typeof(int))
        {
            schema["type"] = "integer";
            schema["format"] = "int32";
        }
        else if (type == typeof(long))
        {
            schema["type"] = "integer";
            schema["format"] = "int64";
        }
        else if (type == typeof(bool))
        {
            schema["type"] = "boolean";
        }
        else if (type == typeof(DateTimeOffset))
        {
            schema["type"] = "string";
            schema["format"] = "date-time";
        }
        else if (type.IsEnum)
        {
            schema["type"] = "string";
            schema["enum"] = new JsonArray([.. EnumNames(type).Select(n => (JsonNode)JsonValue.Create(n))]);
        }
        else if (type == typeof(ResourceRequirements))
        {
            // Quantities are int-or-string upstream ("8", 8, "64Gi"), so both spellings validate.
            schema["type"] = "object";
            schema["properties"] = new JsonObject
            {
                ["limits"] = QuantityMap("Maximum amount of compute resources allowed."),
                ["requests"] = QuantityMap("Minimum amount of compute resources required."),
            };
        }
        else if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            schema["type"] = "array";
            schema["items"] = TypeSchema(type.GetGenericArguments()[0], null);
        }
        else if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            schema["type"] = "object";
            schema["additionalProperties"] = TypeSchema(type.GetGenericArguments()[1], null);
        }
        else
        {
            ObjectSchema(type, schema);
        }

        string? text = description ?? type.GetCustomAttribute<DescriptionAttribute>()?.Text;
        if (text is not null)
        {
            schema.Insert(0, "description", text);
        }

        return schema;
    }

    private static void ObjectSchema(Type type, JsonObject schema)
    {
        schema["type"] = "object";
        var properties = new JsonObject();
        var required = new JsonArray();
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<JsonExtensionDataAttribute>() is not null || property.GetCustomAttribute<JsonIgnoreAttribute>() is not null)
            {
                continue;
            }

            string name = JsonName(property);
            properties[name] = PropertySchema(property, name);
            if (property.GetCustomAttribute<RequiredAttribute>() is not null)
            {
                required.Add(name);
            }
        }

        schema["properties"] = properties;
        if (required.Count > 0)
        {
            schema["required"] = required;
        }

        var rules = type.GetCustomAttributes<ValidationRuleAttribute>().ToList();
        if (rules.Count > 0)
        {
            schema["x-kubernetes-validations"] = new JsonArray([.. rules.Select(r => (JsonNode)new JsonObject { ["rule"] = r.Rule, ["message"] = r.Message })]);
        }
    }

    private static JsonObject PropertySchema(PropertyInfo property, string name)
    {
        var description = property.GetCustomAttribute<DescriptionAttribute>()?.Text
            ?? UpstreamDescriptions.For(property.DeclaringType!, property.Name);
        JsonObject schema;
        if (name == "metadata" && property.PropertyType == typeof(ObjectMeta))
        {
            // The API server owns the metadata schema; a CRD may only say it is an object.
            schema = new JsonObject { ["type"] = "object" };
        }
        else if (property.GetCustomAttribute<PreserveUnknownFieldsAttribute>() is not null)
        {
            schema = new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
        }
        else if (property.PropertyType == typeof(JsonElement) || property.PropertyType == typeof(JsonElement?))
        {
            schema = new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
        }
        else if (property.PropertyType == typeof(IntOrString) || property.PropertyType == typeof(IntOrString?))
        {
            schema = new JsonObject { ["x-kubernetes-int-or-string"] = true, ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "integer" }, new JsonObject { ["type"] = "string" }) };
        }
        else
        {
            schema = TypeSchema(property.PropertyType, description);
            description = null; // already placed first
        }

        if (description is not null)
        {
            schema.Insert(0, "description", description);
        }

        if (property.GetCustomAttribute<DefaultAttribute>() is { } defaultValue)
        {
            schema["default"] = JsonNode.Parse(defaultValue.Json);
        }

        if (property.GetCustomAttribute<MinimumAttribute>() is { } minimum)
        {
            schema["minimum"] = minimum.Value;
        }

        if (property.GetCustomAttribute<MaximumAttribute>() is { } maximum)
        {
            schema["maximum"] = maximum.Value;
        }

        if (property.GetCustomAttribute<MaxLengthAttribute>() is { } maxLength)
        {
            schema["maxLength"] = maxLength.Value;
        }

        if (property.GetCustomAttribute<PatternAttribute>() is { } pattern)
        {
            schema["pattern"] = pattern.Regex;
        }

        return schema;
    }

    private static JsonObject QuantityMap(string description) => new()
    {
        ["description"] = description,
        ["type"] = "object",
        ["additionalProperties"] = new JsonObject
        {
            ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "integer" }, new JsonObject { ["type"] = "string" }),
            ["x-kubernetes-int-or-string"] = true,
        },
    };

    public static string JsonName(PropertyInfo property) =>
        property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(property.Name);

    /// <summary>An enum's JSON spellings: [JsonStringEnumMemberName] where given, the member name otherwise.</summary>
    public static IEnumerable<string> EnumNames(Type enumType) =>
        enumType.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name);
}
