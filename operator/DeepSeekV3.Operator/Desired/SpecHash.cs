using System.Security.Cryptography;
using System.Text;

namespace DeepSeekV3.Operator.Desired;

/// <summary>
/// A short stable hash of text — an object's JSON (source-generated, so property order is fixed): the same desired spec
/// always gives the same hash, any change gives another. Ten hex characters, like the controller-revision-hash.
/// </summary>
public static class SpecHash
{
    public static string OfText(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..10];
}
