using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// float8 e4m3fn (OCP FP8, the format of DeepSeek-V3's released weights): 1 sign bit, 4 exponent bits
/// with bias 7, 3 mantissa bits. Exponent 0 is subnormal (m/8 · 2^-6); there are no infinities; the
/// codes 0x7F and 0xFF are NaN; the largest finite magnitude is 448.
/// </summary>
public static class Float8E4M3
{
    public const float MaxFinite = 448f;

    /// <summary>Every code's float32 value, so decoding inside kernels is one table load.</summary>
    public static readonly float[] DecodeTable = BuildDecodeTable();

    // The 127 non-negative finite values in increasing order (codes 0x00..0x7E), for nearest-value encoding.
    private static readonly float[] s_positiveValues = DecodeTable.AsSpan(0, 0x7F).ToArray();

    public static float ToSingle(byte code) => DecodeTable[code];

    /// <summary>
    /// destination[i] = e4m3(codes[i]) · scale, computed in float32 (exact, as the reference's weight_dequant).
    /// Vectorized by building the float32 bits directly: a normal code's exponent and mantissa move up 20 bits and
    /// the exponent is rebiased by 127 − 7 = 120; a subnormal code (exponent 0) is m · 2^-9. NaN codes never occur
    /// in weights and are not special-cased on the vector path.
    /// </summary>
    public static void DecodeScaled(ReadOnlySpan<byte> codes, float scale, Span<float> destination)
    {
        destination = destination[..codes.Length];
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref byte source = ref MemoryMarshal.GetReference(codes);
            ref float target = ref MemoryMarshal.GetReference(destination);
            var scaleVector = Vector256.Create(scale);
            for (; i <= codes.Length - Vector256<byte>.Count; i += Vector256<byte>.Count)
            {
                var bytes = Vector256.LoadUnsafe(ref source, (nuint)i);
                var (low, high) = Vector256.Widen(bytes);
                var (a, b) = Vector256.Widen(low);
                var (c, d) = Vector256.Widen(high);
                (Decode(a) * scaleVector).StoreUnsafe(ref target, (nuint)i);
                (Decode(b) * scaleVector).StoreUnsafe(ref target, (nuint)(i + 8));
                (Decode(c) * scaleVector).StoreUnsafe(ref target, (nuint)(i + 16));
                (Decode(d) * scaleVector).StoreUnsafe(ref target, (nuint)(i + 24));
            }
        }

        for (; i < codes.Length; i++)
        {
            destination[i] = DecodeTable[codes[i]] * scale;
        }
    }

    /// <summary>The 512-bit form of <see cref="Decode(Vector256{uint})"/>, for the fused decode kernel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Decode(Vector512<uint> code)
    {
        var magnitude = code & Vector512.Create(0x7Fu);
        var sign = (code & Vector512.Create(0x80u)) << 24;
        var normal = (magnitude << 20) + Vector512.Create(120u << 23);
        var subnormal = Vector512.ConvertToSingle(magnitude.AsInt32()) * Vector512.Create(1f / 512);
        var isSubnormal = Vector512.LessThan(magnitude, Vector512.Create(8u));
        var value = Vector512.ConditionalSelect(isSubnormal.AsSingle(), subnormal, normal.AsSingle());
        return (value.AsUInt32() | sign).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Decode(Vector256<uint> code)
    {
        var magnitude = code & Vector256.Create(0x7Fu);
        var sign = (code & Vector256.Create(0x80u)) << 24;
        var normal = (magnitude << 20) + Vector256.Create(120u << 23);
        var subnormal = Vector256.ConvertToSingle(magnitude.AsInt32()) * Vector256.Create(1f / 512);
        var isSubnormal = Vector256.LessThan(magnitude, Vector256.Create(8u));
        var value = Vector256.ConditionalSelect(isSubnormal.AsSingle(), subnormal, normal.AsSingle());
        return (value.AsUInt32() | sign).AsSingle();
    }

    /// <summary>Encodes to the nearest representable value (ties to the even code), saturating at ±448.</summary>
    public static byte FromSingle(float value)
    {
        if (float.IsNaN(value))
        {
            return 0x7F;
        }

        byte sign = value < 0 || (value == 0 && float.IsNegative(value)) ? (byte)0x80 : (byte)0;
        float magnitude = MathF.Min(MathF.Abs(value), MaxFinite);
        int index = Array.BinarySearch(s_positiveValues, magnitude);
        if (index < 0)
        {
            int upper = ~index;
            int lower = upper - 1;
            float toLower = magnitude - s_positiveValues[lower];
            float toUpper = s_positiveValues[upper] - magnitude;
            index = toLower < toUpper ? lower
                : toUpper < toLower ? upper
                : (lower & 1) == 0 ? lower : upper;
        }

        return (byte)(sign | index);
    }

    private static float[] BuildDecodeTable()
    {
        var table = new float[256];
        for (int code = 0; code < 256; code++)
        {
            int exponent = (code >> 3) & 0xF;
            int mantissa = code & 0x7;
            float magnitude = exponent == 0
                ? mantissa / 8f * MathF.Pow(2, -6)
                : (1 + mantissa / 8f) * MathF.Pow(2, exponent - 7);
            if ((code & 0x7F) == 0x7F)
            {
                magnitude = float.NaN;
            }

            table[code] = (code & 0x80) != 0 ? -magnitude : magnitude;
        }

        return table;
    }
}
