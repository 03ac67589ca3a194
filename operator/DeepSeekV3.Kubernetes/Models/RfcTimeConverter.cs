using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepSeekV3.Kubernetes.Models;

/// <summary>
/// The shared part of the metav1 time converters: reading accepts any RFC 3339 offset and fractional seconds; writing
/// is UTC in the format each type fixes.
/// </summary>
public abstract class RfcTimeConverter(string format) : JsonConverter<DateTimeOffset?>
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

        writer.WriteStringValue(value.Value.UtcDateTime.ToString(format, CultureInfo.InvariantCulture));
    }
}
