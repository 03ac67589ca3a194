using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// float8 e4m3fn in three instructions per 16 codes: sign-extend each byte to 32 bits, shift left 20 and keep the sign
/// bit and bits 20..26. That puts the sign where float32 keeps it and the 4 exponent + 3 mantissa bits at the bottom
/// of float32's exponent and top of its mantissa, so the float read is the code's value times 2^-120 (float32's
/// exponent bias is 127, e4m3's is 7) — exactly, subnormal codes included (they land on float32 subnormals, which
/// hold them exactly). The caller multiplies the input by <see cref="InputScale"/> (with the FP8 block scale) and the
/// kernel finished sums by <see cref="OutputScale"/>: 2^64 · 2^56 = 2^120. Splitting the 2^120 keeps every product
/// w · x · s · 2^-56 a normal float unless |w · x · s| is below 2^-70, a term far under float32 rounding of any sum
/// that matters. Powers of two multiply exactly, so results equal the plain dequantized product's.
/// The NaN codes (0x7F, 0xFF) read as finite; they never occur in weights.
/// </summary>
internal readonly unsafe struct Fp8Decoder : IWeightDecoder
{
    public const float InputScale = 18446744073709551616f; // 2^64

    private const int SignAndMagnitude = unchecked((int)0x87F00000);

    public static int BytesPerWeight => 1;

    public static float OutputScale => 72057594037927936f; // 2^56

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* codes) =>
        (Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(Vector128.Load((sbyte*)codes)), 20)
            & Vector512.Create(SignAndMagnitude)).AsSingle();

    public static float Load1(byte* code) => BitConverter.Int32BitsToSingle((*(sbyte*)code << 20) & SignAndMagnitude);
}
