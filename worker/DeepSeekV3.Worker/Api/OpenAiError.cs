using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace DeepSeekV3.Worker.Api;

/// <summary>
/// Errors in OpenAI's shape, <c>{"error": {"message", "type", "param", "code"}}</c>, which the official clients
/// turn into typed exceptions (BadRequestError, AuthenticationError, RateLimitError, ...).
/// </summary>
public static class OpenAiError
{
    public static async Task WriteAsync(HttpContext context, int status, string type, string message, string? param = null,
        string? code = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("message", message);
        json.WriteString("type", type);
        WriteNullable(json, "param", param);
        WriteNullable(json, "code", code);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    public static Task BadRequestAsync(HttpContext context, string message, string? param) =>
        WriteAsync(context, StatusCodes.Status400BadRequest, "invalid_request_error", message, param);

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }
}
