using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace DeepSeekV3.Worker.Api;

/// <summary>
/// Bearer API keys (<c>Authorization: Bearer KEY</c>, as OpenAI clients send them). With no keys configured the
/// API is open. Keys are compared in constant time so response timing does not leak a prefix.
/// </summary>
public sealed class ApiKeys(IEnumerable<string> keys)
{
    private readonly byte[][] _keys = [.. keys.Where(k => k.Length > 0).Select(Encoding.UTF8.GetBytes)];

    public bool Enabled => _keys.Length > 0;

    public bool IsAuthorized(HttpContext context)
    {
        if (!Enabled)
        {
            return true;
        }

        string header = context.Request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var presented = Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim());
        bool match = false;
        foreach (var key in _keys)
        {
            match |= CryptographicOperations.FixedTimeEquals(key, presented);
        }

        return match;
    }
}
