using System.Collections;

namespace DeepSeekV3.Wire.Grpc;

/// <summary>Custom metadata of a call (headers or trailers): an ordered list that may repeat keys.</summary>
public sealed class Metadata : IEnumerable<MetadataEntry>
{
    public const string BinarySuffix = "-bin";

    private readonly List<MetadataEntry> _entries = [];

    public int Count => _entries.Count;

    public void Add(string key, string value)
    {
        key = NormalizeKey(key);
        if (key.EndsWith(BinarySuffix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{key}' is a binary key: add bytes", nameof(key));
        }

        _entries.Add(new MetadataEntry(key, value, null));
    }

    public void Add(string key, byte[] value)
    {
        key = NormalizeKey(key);
        if (!key.EndsWith(BinarySuffix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"binary values need a key ending in '{BinarySuffix}'", nameof(key));
        }

        _entries.Add(new MetadataEntry(key, null, value));
    }

    public string? GetValue(string key) => _entries.LastOrDefault(e => e.Key == NormalizeKey(key))?.Value;

    public byte[]? GetValueBytes(string key) => _entries.LastOrDefault(e => e.Key == NormalizeKey(key))?.ValueBytes;

    public IEnumerator<MetadataEntry> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static string NormalizeKey(string key)
    {
        string lower = key.ToLowerInvariant();
        if (lower.Length == 0 || lower.StartsWith("grpc-", StringComparison.Ordinal) || lower.StartsWith(':')
            || !lower.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.'))
        {
            throw new ArgumentException($"'{key}' is not a valid custom metadata key", nameof(key));
        }

        return lower;
    }
}
