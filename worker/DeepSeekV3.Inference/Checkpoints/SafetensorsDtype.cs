namespace DeepSeekV3.Inference.Checkpoints;

/// <summary>
/// The element types a safetensors header may name; <see cref="SafetensorsDtypes"/> maps the format's spellings
/// ("F8_E4M3", ...) to these names.
/// </summary>
public enum SafetensorsDtype
{
    F64,
    F32,
    F16,
    BF16,
    F8E4M3,
    F8E5M2,
    I64,
    I32,
    I16,
    I8,
    U8,
    BOOL,
}
