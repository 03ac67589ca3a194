using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// float8 e4m3fn, 64 codes at a time, for the batch-1 kernels, which decode every weight they read and use it once: there
/// <see cref="Fp8Decoder"/>'s widening shuffle and shift per 16 codes, both on the same two vector pipes, bound a core
/// below its share of the memory bandwidth (one thread, an FP8 matrix in L2: 36-42 GB/s, where BF16 ran 89).
/// Two GFNI affine transforms (one instruction each for all 64 bytes) rearrange each code's bits into the high and low
/// byte of its bfloat16 bit pattern — sign, 4 exponent bits at the bottom of bfloat16's exponent, 3 mantissa bits at
/// the top of its mantissa, so the value read is the code's times 2^-120, as <see cref="Fp8Decoder"/>'s — and two
/// in-lane byte unpacks put the two bytes side by side. Each 32-bit lane then holds two bfloat16 patterns: the odd one
/// is already a float (low half masked off), the even one shifted up 16 bits. Per 64 codes that is 6 shuffle/shift
/// operations instead of 8 and 2 masks instead of 4: one thread, 512 × 1024 FP8 in L2, 42 → 56 GB/s.
/// The floats come out in an order of the unpacks' choosing; <see cref="Arrange"/> lays x out to match, once per call.
/// Exact like <see cref="Fp8Decoder"/> (subnormal codes become subnormal floats), with the same
/// <see cref="Fp8Decoder.InputScale"/> and <see cref="Fp8Decoder.OutputScale"/>.
/// </summary>
internal static unsafe class Fp8WideDecoder
{
    public const int Codes = 64;

    public static bool IsSupported => Gfni.V512.IsSupported && Avx512BW.IsSupported;

    // vgf2p8affineqb: output bit i of each byte is the parity of (input byte AND byte 7 - i of the matrix).
    // High byte s000_0e3e2e1: bit 7 ← bit 7, bits 2..0 ← bits 6..4.
    private const ulong HighByteMatrix = 0x10_20_40_00_00_00_00_80;

    // Low byte e0m2m1m0_0000: bits 7..4 ← bits 3..0.
    private const ulong LowByteMatrix = 0x00_00_00_00_01_02_04_08;

    /// <summary>
    /// The 64 codes at <paramref name="codes"/> as four vectors of floats: within each 16-code lane L (codes 16L..16L+15),
    /// <paramref name="v0"/>[4L + d] is code 16L + 2d, <paramref name="v1"/>[4L + d] code 16L + 2d + 1,
    /// <paramref name="v2"/> and <paramref name="v3"/> the same for codes 16L + 8 + 2d (+ 1), d &lt; 4.
    /// The caller makes <paramref name="constants"/> once, before its loop: the JIT does not hoist a
    /// <c>Vector512.Create</c> of a constant out of one, and left three broadcasts from memory and three register copies
    /// in every 128-code block of the batch-1 kernels, beside 26 operations (Zen 4, one thread, in L2, products alternating
    /// with the previous build in one process, medians: 1024 × 1024 2.9 %, 512 × 7168 4.3 % faster; 1024 × 384 0.4 %).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load64(byte* codes, in Constants constants, out Vector512<float> v0, out Vector512<float> v1,
        out Vector512<float> v2, out Vector512<float> v3)
    {
        var bytes = Vector512.Load(codes);
        var high = Gfni.V512.GaloisFieldAffineTransform(bytes, constants.HighByte, 0);
        var low = Gfni.V512.GaloisFieldAffineTransform(bytes, constants.LowByte, 0);
        var first = Avx512BW.UnpackLow(low, high).AsUInt32(); // lane L: bfloat16 of codes 16L..16L+7
        var second = Avx512BW.UnpackHigh(low, high).AsUInt32(); // codes 16L+8..16L+15
        v0 = Avx512F.ShiftLeftLogical(first, 16).AsSingle();
        v1 = (first & constants.OddHalf).AsSingle();
        v2 = Avx512F.ShiftLeftLogical(second, 16).AsSingle();
        v3 = (second & constants.OddHalf).AsSingle();
    }

    /// <summary>The decoder's three constant vectors, for a kernel to make once before its loop.</summary>
    public readonly struct Constants
    {
        public readonly Vector512<byte> HighByte;
        public readonly Vector512<byte> LowByte;
        public readonly Vector512<uint> OddHalf;

        private Constants(Vector512<byte> highByte, Vector512<byte> lowByte, Vector512<uint> oddHalf)
        {
            HighByte = highByte;
            LowByte = lowByte;
            OddHalf = oddHalf;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Constants Create() =>
            new(Vector512.Create(HighByteMatrix).AsByte(), Vector512.Create(LowByteMatrix).AsByte(), Vector512.Create(0xFFFF0000u));
    }

    /// <summary>
    /// target = source · <paramref name="scale"/>, each whole 64-column chunk reordered to <see cref="Load64"/>'s order
    /// (columns past the last whole chunk keep theirs). Two rounds of two-source permutes: the first gathers, for two of
    /// the outputs at a time, each source vector's four values, the second joins the halves.
    /// </summary>
    public static void Arrange(float* source, int columns, float scale, float* target)
    {
        var factor = Vector512.Create(scale);
        int chunkEnd = columns - (columns % Codes);
        for (int i = 0; i < chunkEnd; i += Codes)
        {
            var x0 = Vector512.Load(source + i) * factor;
            var x1 = Vector512.Load(source + i + 16) * factor;
            var x2 = Vector512.Load(source + i + 32) * factor;
            var x3 = Vector512.Load(source + i + 48) * factor;
            var lowPair = Avx512F.PermuteVar16x32x2(x0, s_gatherFirst, x1); // outputs 0 and 1, lanes L = 0, 1
            var highPair = Avx512F.PermuteVar16x32x2(x2, s_gatherFirst, x3); // outputs 0 and 1, lanes L = 2, 3
            Avx512F.PermuteVar16x32x2(lowPair, s_joinLower, highPair).Store(target + i);
            Avx512F.PermuteVar16x32x2(lowPair, s_joinUpper, highPair).Store(target + i + 16);
            lowPair = Avx512F.PermuteVar16x32x2(x0, s_gatherSecond, x1);
            highPair = Avx512F.PermuteVar16x32x2(x2, s_gatherSecond, x3);
            Avx512F.PermuteVar16x32x2(lowPair, s_joinLower, highPair).Store(target + i + 32);
            Avx512F.PermuteVar16x32x2(lowPair, s_joinUpper, highPair).Store(target + i + 48);
        }

        for (int i = chunkEnd; i < columns; i++)
        {
            target[i] = source[i] * scale;
        }
    }

    private static readonly Vector512<int> s_gatherFirst = GatherIndices(0);
    private static readonly Vector512<int> s_gatherSecond = GatherIndices(2);
    private static readonly Vector512<int> s_joinLower = JoinIndices(0);
    private static readonly Vector512<int> s_joinUpper = JoinIndices(8);

    /// <summary>
    /// Lanes 0-7 for output <paramref name="output"/>, 8-15 for the next one; in each half, 4 values of the first source
    /// vector then 4 of the second: output q's lane d of source L is column 16L + 8(q / 2) + 2d + q % 2.
    /// </summary>
    private static Vector512<int> GatherIndices(int output)
    {
        var indices = new int[16];
        for (int lane = 0; lane < 16; lane++)
        {
            int q = output + (lane / 8), source = (lane % 8) / 4, d = lane % 4;
            indices[lane] = (16 * source) + (8 * (q / 2)) + (2 * d) + (q % 2);
        }

        return Vector512.Create(indices);
    }

    /// <summary>The 8 lanes from <paramref name="first"/> of the first source, then the same 8 of the second.</summary>
    private static Vector512<int> JoinIndices(int first)
    {
        var indices = new int[16];
        for (int lane = 0; lane < 16; lane++)
        {
            indices[lane] = lane < 8 ? first + lane : 16 + first + lane - 8;
        }

        return Vector512.Create(indices);
    }
}
