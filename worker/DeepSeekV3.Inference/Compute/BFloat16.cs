using System.Runtime.CompilerServices;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// bfloat16: the upper 16 bits of an IEEE float32 (same exponent range, 8-bit significand).
/// Widening is exact; narrowing rounds to nearest, ties to even, as PyTorch's <c>.to(torch.bfloat16)</c> does.
/// </summary>
public static class BFloat16
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    public static ushort FromSingle(float value)
    {
        if (float.IsNaN(value))
        {
            return 0x7FC0; // canonical quiet NaN
        }

        uint bits = BitConverter.SingleToUInt32Bits(value);
        // Round to nearest even on the 16 bits that are dropped.
        uint roundingBias = 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)((bits + roundingBias) >> 16);
    }
}
