using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepSeekV3.Kubernetes.Models;

/// <summary>
/// metav1.Time: RFC 3339 in UTC with whole seconds ("2026-11-22T16:00:00Z"), as the API server writes it.
/// Reading accepts any RFC 3339 offset and fractional seconds.
/// </summary>
public sealed class KubernetesTimeConverter : JsonConverter<DateTimeOffset?>
{
    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null
            ? null
            : DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteStringValue(value.Value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
    }
}
