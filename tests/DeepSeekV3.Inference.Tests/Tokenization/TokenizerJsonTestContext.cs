using System.Text.Json.Serialization;

namespace DeepSeekV3.Inference.Tests.Tokenization;

/// <summary>Source-generated JSON for writing test tokenizer files (string escaping only).</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class TokenizerJsonTestContext : JsonSerializerContext;
