namespace DeepSeekV3.Inference.Checkpoints;

/// <summary>Parsing and element sizes of <see cref="SafetensorsDtype"/>.</summary>
public static class SafetensorsDtypes
{
    private static readonly Dictionary<string, SafetensorsDtype> s_byName = new(StringComparer.Ordinal)
    {
        ["F64"] = SafetensorsDtype.F64,
        ["F32"] = SafetensorsDtype.F32,
        ["F16"] = SafetensorsDtype.F16,
        ["BF16"] = SafetensorsDtype.BF16,
        ["F8_E4M3"] = SafetensorsDtype.F8E4M3,
        ["F8_E5M2"] = SafetensorsDtype.F8E5M2,
        ["I64"] = SafetensorsDtype.I64,
        ["I32"] = SafetensorsDtype.I32,
        ["I16"] = SafetensorsDtype.I16,
        ["I8"] = SafetensorsDtype.I8,
        ["U8"] = SafetensorsDtype.U8,
        ["BOOL"] = SafetensorsDtype.BOOL,
    };

    public static bool TryParse(string text, out SafetensorsDtype dtype) => s_byName.TryGetValue(text, out dtype);

    /// <summary>The spelling the safetensors header uses.</summary>
    public static string Name(SafetensorsDtype dtype) => s_byName.First(pair => pair.Value == dtype).Key;

    public static int SizeInBytes(SafetensorsDtype dtype) => dtype switch
    {
        SafetensorsDtype.F64 or SafetensorsDtype.I64 => 8,
        SafetensorsDtype.F32 or SafetensorsDtype.I32 => 4,
        SafetensorsDtype.F16 or SafetensorsDtype.BF16 or SafetensorsDtype.I16 => 2,
        SafetensorsDtype.F8E4M3 or SafetensorsDtype.F8E5M2 or SafetensorsDtype.I8 or SafetensorsDtype.U8
            or SafetensorsDtype.BOOL => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };
}
