using System.Text.Json.Serialization;

namespace DeepSeekV3.Worker.Tests.Api;

/// <summary>Source-generated JSON for string escaping in test requests.</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class ApiTestJsonContext : JsonSerializerContext;
