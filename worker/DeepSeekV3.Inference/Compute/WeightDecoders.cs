using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSeekV3.Inference.Compute;

/// <summary>bfloat16: zero-extend 16 halves to 32 bits and shift them into the upper half (exact).</summary>
internal readonly unsafe struct Bf16Decoder : IWeightDecoder
{
    public static int BytesPerWeight => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* codes) =>
        Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)codes)), 16).AsSingle();

    public static float Load1(byte* code) => BFloat16.ToSingle(*(ushort*)code);
}

/// <summary>float8 e4m3fn: zero-extend 16 codes and build their float32 bits (<see cref="Float8E4M3"/>; exact).</summary>
internal readonly unsafe struct Fp8Decoder : IWeightDecoder
{
    public static int BytesPerWeight => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* codes) => Float8E4M3.Decode(Avx512F.ConvertToVector512UInt32(Vector128.Load(codes)));

    public static float Load1(byte* code) => Float8E4M3.DecodeTable[*code];
}
