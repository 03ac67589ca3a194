using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// Software prefetch of weights. The multi-token decode kernels and the prefill kernel's panel decoding walk a block of
/// 4, 8 or 12 weight rows column by column, one stream per row; the rows of a model this size are short (1-2 KB), so
/// each stream ends before the hardware prefetcher has ramped up, and one core then keeps too few cache lines in flight
/// to reach the memory bandwidth. While a block computes, the kernel requests the next block (the rows right below),
/// the same number of bytes per step as it reads (decode kernels <see cref="NextPanel"/>, prefill <see cref="Lines"/>): batch-1 FP8 decode +35-45 %, BF16 +8 % on the
/// development machine when batch 1 still ran through them; prefill +2-7 %. Batch 1 reads two sequential streams per
/// core (<see cref="TwoStreamGemv"/>) and asks for each one's line 4 KB ahead (<see cref="StreamAhead"/>) where that
/// helps (<see cref="StreamEnabled"/>); FP8 rows too wide for x to stay in L1 beside them, 16 KB ahead into L2
/// where that helps (<see cref="WideRowsIntoL2"/>). Where the panels' x rows would be pushed out of L1, the panel
/// kernels ask for the next panel into L2 instead (<see cref="NextPanel"/>, <see cref="PanelsIntoL2"/>).
/// Prefetches never fault, so requests past a slice's last block (into a neighbour's rows, or past the matrix) are
/// harmless.
/// </summary>
internal static unsafe class WeightPrefetch
{
    /// <summary>Off with DSV3_PREFETCH=0, to measure what it brings.</summary>
    public static readonly bool Enabled = Sse.IsSupported && Environment.GetEnvironmentVariable("DSV3_PREFETCH") != "0";

    /// <summary>
    /// Whether <see cref="StreamAhead"/> prefetches: DSV3_STREAM_PREFETCH=1 or 0 decides; otherwise
    /// <see cref="StreamPrefetchHelps"/> by the processor.
    /// </summary>
    public static readonly bool StreamEnabled =
        Enabled && StreamPrefetchHelps(Environment.GetEnvironmentVariable("DSV3_STREAM_PREFETCH"), CpuIdentity.Current);

    /// <summary>
    /// The batch-1 kernels' stream prefetch helped on the AMD Zen 5 host it was measured on (family 1Ah: model FP8
    /// batch-1 decode 359 → 401 tokens/s) and hurt on a Zen 4 host (family 19h, 2026-12-07, same binary with it on, then
    /// off, 6 alternating rounds, medians: batch-1 decode BF16 183 → 198 tokens/s, FP8 318 → 329, each window's share of
    /// the read bandwidth probed around it 77.5 → 87.8 % and 73.2 → 82.9 %; one thread, `bench kernels` from memory: BF16
    /// 2816 × 1024 270 → 199 µs, the 16384 × 1024 head 1586 → 1243): there the non-temporal requests seem to stand in
    /// the way of the hardware prefetcher, which follows the two sequential streams alone at the read probe's rate. Off
    /// on family 19h (Zen 3 and Zen 4; Zen 3 unmeasured), on elsewhere.
    /// </summary>
    internal static bool StreamPrefetchHelps(string? setting, CpuIdentity cpu) => SettingOr(setting, !cpu.IsAmdFamily19h);

    /// <summary>
    /// Whether the batch-1 kernels (FP8 and BF16) read rows of <see cref="WideRowColumns"/> or more with
    /// <see cref="IntoL2AheadBlock"/>: DSV3_WIDE_ROW_PREFETCH=1 or 0 decides; otherwise <see cref="WideRowsIntoL2Helps"/>.
    /// </summary>
    public static readonly bool WideRowsIntoL2 =
        Enabled && WideRowsIntoL2Helps(Environment.GetEnvironmentVariable("DSV3_WIDE_ROW_PREFETCH"), CpuIdentity.Current);

    /// <summary>
    /// Rows this wide need all of an x of at least 16 KB (floats), half of a Zen 4 core's L1: the weight lines the core
    /// streams through L1 push x out, and each 64 codes then wait on x's 256 bytes from L2 as well as on their own line.
    /// </summary>
    public const int WideRowColumns = 4096;

    /// <summary>
    /// On the Zen 4 host (family 19h, 2026-12-07, both cores, `bench kernels --copies 4` from memory, 4 alternating
    /// rounds, medians) batch-1 FP8 rows of 4096+ columns read at 20-30 GB/s, against 36-43 for 1024-2048-column rows of
    /// the same bytes; asking for each stream's line 16 KB ahead into L2 (prefetcht1, which leaves L1 to x) brought
    /// 1536 × 7168 20.5 → 37.7 GB/s, 2048 × 7168 27.2 → 42.2, 4096 × 4096 30.3 → 41.1, 7168 × 16384 25.1 → 33.2
    /// (4 KB ahead: 33.0-39.0, 8 KB: 33.3-44.9; prefetcht2 alike; non-temporal into L1: no gain), while 2048-column rows
    /// lost 2-10 %. BF16 rows of 4096+ columns gain too (<see cref="TwoStreamGemv.Bf16"/>: both threads, 7168 × 7168
    /// 30.5 → 34.4 GB/s, session 18; session 13 had seen no gain). Zen 5's wide FP8 rows already run at its read rate
    /// with <see cref="StreamAhead"/> (8192 × 8192 49-50 GB/s), so this is on for family 19h only.
    /// </summary>
    internal static bool WideRowsIntoL2Helps(string? setting, CpuIdentity cpu) => SettingOr(setting, cpu.IsAmdFamily19h);

    /// <summary>Whether a batch-1 kernel reads rows of <paramref name="columns"/> with <see cref="IntoL2AheadBlock"/>.</summary>
    public static bool StreamIntoL2(int columns) => WideRowsIntoL2 && columns >= WideRowColumns;

    /// <summary>
    /// Whether the multi-token decode kernels ask for their next panel into L2 (<see cref="NextPanel"/>): BF16 panels
    /// always, FP8 panels of rows of <see cref="WideRowColumns"/> or more. DSV3_PANEL_PREFETCH_L2=1 or 0 decides;
    /// otherwise <see cref="PanelsIntoL2Help"/>.
    /// </summary>
    public static readonly bool PanelsIntoL2 =
        Enabled && PanelsIntoL2Help(Environment.GetEnvironmentVariable("DSV3_PANEL_PREFETCH_L2"), CpuIdentity.Current);

    /// <summary>
    /// On the Zen 4 host (family 19h, 2026-12-07, both cores, `bench kernels --copies 4` from memory, 3 alternating rounds,
    /// medians, GB/s) asking for the next panel into L2 (prefetcht1) rather than L1: 2 tokens BF16 16384 × 1024
    /// 24.1 → 30.5, 2048 × 7168 15.7 → 30.1, FP8 2048 × 7168 19.8 → 33.4, but FP8 16384 × 1024 31.4 → 25.2; 4 tokens
    /// BF16 28.4 → 32.5 and 21.8 → 33.4, FP8 wide 21.3 → 24.7, FP8 narrow 24.5 → 20.8; 16 tokens (bound by the FMA
    /// units) alike either way. The L1 requests push out the x rows the panel multiplies (2 × 7168 floats are 56 KB, past
    /// a 32 KB L1); short FP8 rows leave x room and profit from lines that arrive in L1. Zen 5 measured only the L1 form
    /// (session 8: +35-45 % FP8, +8 % BF16 over none), so this is on for family 19h only.
    /// </summary>
    internal static bool PanelsIntoL2Help(string? setting, CpuIdentity cpu) => SettingOr(setting, cpu.IsAmdFamily19h);

    /// <summary>
    /// Whether a multi-token kernel asks for its next panel of rows of <paramref name="columns"/> into L2
    /// (<see cref="PanelsIntoL2"/>): BF16 panels always, FP8 panels only of wide rows, whose x does not fit L1 beside them.
    /// </summary>
    public static bool NextPanelIntoL2(int columns, bool fp8) => PanelsIntoL2 && (!fp8 || columns >= WideRowColumns);

    /// <summary>An environment switch's "1" or "0" where set, else what was measured for this processor.</summary>
    private static bool SettingOr(string? setting, bool measured) => setting switch
    {
        "1" => true,
        "0" => false,
        _ => measured,
    };

    /// <summary>
    /// Requests the cache lines of [start, start + bytes), the next panel's, into L2 where <paramref name="intoL2"/>,
    /// else into L1 (nothing when prefetch is off).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void NextPanel(byte* start, int bytes, bool intoL2)
    {
        if (intoL2)
        {
            LinesIntoL2(start, bytes);
        }
        else
        {
            Lines(start, bytes);
        }
    }

    /// <summary>Requests the cache lines of [start, start + bytes) into L2 (nothing when prefetch is off).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LinesIntoL2(byte* start, long bytes)
    {
        if (!Enabled)
        {
            return;
        }

        for (long offset = 0; offset < bytes; offset += 64)
        {
            Sse.Prefetch1(start + offset);
        }
    }

    /// <summary>Requests the cache lines of [start, start + bytes) into L1 (nothing when prefetch is off).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Lines(byte* start, int bytes)
    {
        // A static readonly flag: the optimizing JIT folds this test away (CpuBackend initializes the class before any
        // kernel is compiled, which the folding needs).
        if (!Enabled)
        {
            return;
        }

        for (int offset = 0; offset < bytes; offset += 64)
        {
            Sse.Prefetch0(start + offset);
        }
    }

    /// <summary>
    /// Requests, non-temporally, the lines <see cref="StreamAheadBytes"/> past [position, position + bytes): a sequential
    /// stream's reads 4 KB from now. Both cores, weights from memory, alternating runs on the development machine:
    /// FP8 8192 × 8192 33-35 → 49-50 GB/s, 2048 × 7168 34 → 47, an expert's 384 × 1024 gate/up (10 at a time) 45-52 →
    /// 52-56, the 768 × 384 query projection 16-17 → 23-27, BF16 16384 × 1024 (the head) 30-42 → 41-46; the model's
    /// batch-1 decode (medians of 5 alternating runs) FP8 359 → 401 tokens/s, BF16 238 → 253. Prefetch into L1
    /// (prefetcht0) did as well for FP8 but cost BF16 decode 7-30 % in fast memory phases, and 8 KB ahead was no
    /// better than 4.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StreamAhead(byte* position, int bytes)
    {
        if (!StreamEnabled)
        {
            return;
        }

        for (int offset = 0; offset < bytes; offset += 64)
        {
            Sse.PrefetchNonTemporal(position + StreamAheadBytes + offset);
        }
    }

    /// <summary><see cref="StreamAhead"/> for two lines (a 128-code FP8 block, 64 BF16 values), without the loop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StreamAheadBlock(byte* position)
    {
        if (!StreamEnabled)
        {
            return;
        }

        Sse.PrefetchNonTemporal(position + StreamAheadBytes);
        Sse.PrefetchNonTemporal(position + StreamAheadBytes + 64);
    }

    /// <summary>
    /// Requests into L2 (not L1) the two lines (a 128-code FP8 block, 64 BF16 values) <see cref="IntoL2AheadBytes"/> past
    /// <paramref name="position"/>: a wide row's stream (<see cref="WideRowsIntoL2"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void IntoL2AheadBlock(byte* position)
    {
        Sse.Prefetch1(position + IntoL2AheadBytes);
        Sse.Prefetch1(position + IntoL2AheadBytes + 64);
    }

    private const int StreamAheadBytes = 4096;

    private const int IntoL2AheadBytes = 16384;
}
