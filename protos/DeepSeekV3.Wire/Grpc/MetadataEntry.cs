namespace DeepSeekV3.Wire.Grpc;

/// <summary>
/// One custom metadata entry. Keys are lower-case; keys ending in "-bin" carry bytes (base64 on the wire, per
/// PROTOCOL-HTTP2.md "Custom-Metadata"), all others ASCII text.
/// </summary>
public sealed record MetadataEntry(string Key, string? Value, byte[]? ValueBytes)
{
    public bool IsBinary => Key.EndsWith(Metadata.BinarySuffix, StringComparison.Ordinal);
}
