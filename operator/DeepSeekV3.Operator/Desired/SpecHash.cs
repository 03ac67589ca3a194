using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace DeepSeekV3.Operator.Desired;

/// <summary>
/// A short stable hash of an object's JSON (source-generated, so property order is fixed): the same desired spec
/// always gives the same hash, any change gives another. Ten hex characters, like the controller-revision-hash.
/// </summary>
public static class SpecHash
{
    public static string Of<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);
        return Convert.ToHexStringLower(SHA256.HashData(json))[..10];
    }

    public static string OfText(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..10];
}
