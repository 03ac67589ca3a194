using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Inference.Tests.Compute;

/// <summary>Each optimized kernel against its naive reference, on every weight format and on partial FP8 blocks.</summary>
public sealed unsafe class CpuBackendTests
{
    private const float Tolerance = 2e-5f;

    public static TheoryData<WeightFormat, int> Formats => new()
    {
        { WeightFormat.F32, 1 },
        { WeightFormat.BF16, 1 },
        { WeightFormat.F8E4M3Blocked, 1 },
        { WeightFormat.F8E4M3Blocked, 2 },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Linear_RowSlices_MatchNaive(WeightFormat format, int threads)
    {
        // 200 x 300: both dimensions leave a partial 128-block at the edge.
        using var weight = TestWeight.Create(format, 200, 300, seed: 1);
        var x = Random(3 * 300, seed: 2);
        var naive = NaiveKernels.Linear(x, 3, weight.Matrix);
        using var backend = new CpuBackend(threads);

        var full = new float[3 * 200];
        backend.Linear(x, 3, weight.Matrix, 0, 200, full);
        var slice = new float[3 * 50];
        backend.Linear(x, 3, weight.Matrix, 130, 50, slice);

        Assert.InRange(MaxDifference(full, naive), 0, Tolerance);
        for (int t = 0; t < 3; t++)
        {
            Assert.InRange(MaxDifference(slice.AsSpan(t * 50, 50), naive.AsSpan((t * 200) + 130, 50)), 0, Tolerance);
        }
    }

    [Theory]
    [InlineData(1, 35)]
    [InlineData(2, 35)]
    [InlineData(5, 35)]
    [InlineData(1, 256)] // whole scale blocks: batch 1 decodes 64 codes at a time where the machine has GFNI
    [InlineData(1, 640)] // the same in rows past four at a time
    public void Linear_Fp8_EveryFiniteCodeDecodesExactly(int tokens, int columns)
    {
        // Row r holds code r once (the rest are zero codes), in a column that moves through the vector body and, at 35
        // columns, the 3-column tail, at 256 and 640 through every place of a 64-code step; x[t] = t + 1 everywhere, so
        // y[t, r] = (t + 1) · scale · e4m3(r) exactly: subnormal, negative and largest codes all go through the kernels'
        // bit-level decoding.
        const int Rows = 256;
        const float Scale = 0.375f;
        int Columns = columns;
        int scaleBlocks = 2 * ((columns + 127) / 128);
        var codes = (byte*)NativeMemory.AllocZeroed((nuint)(Rows * Columns));
        var scales = (float*)NativeMemory.Alloc((nuint)scaleBlocks, sizeof(float));
        try
        {
            new Span<float>(scales, scaleBlocks).Fill(Scale);
            for (int r = 0; r < Rows; r++)
            {
                codes[(r * Columns) + (r % Columns)] = (byte)r;
            }

            var weight = new WeightMatrix(WeightFormat.F8E4M3Blocked, Rows, Columns, codes, scales);
            var x = Enumerable.Range(0, tokens * Columns).Select(i => (float)((i / Columns) + 1)).ToArray();
            var y = new float[tokens * Rows];
            using var backend = new CpuBackend(2);

            backend.Linear(x, tokens, weight, 0, Rows, y);

            for (int t = 0; t < tokens; t++)
            {
                for (int r = 0; r < Rows; r++)
                {
                    if ((r & 0x7F) != 0x7F) // 0x7F and 0xFF are NaN, never weights
                    {
                        Assert.Equal(Float8E4M3.ToSingle((byte)r) * Scale * (t + 1), y[(t * Rows) + r]);
                    }
                }
            }
        }
        finally
        {
            NativeMemory.Free(codes);
            NativeMemory.Free(scales);
        }
    }

    [Theory]
    [InlineData(WeightFormat.F32, 17, 1)]
    [InlineData(WeightFormat.BF16, 65, 2)]
    [InlineData(WeightFormat.BF16, 70, 1)]
    [InlineData(WeightFormat.F8E4M3Blocked, 17, 2)]
    [InlineData(WeightFormat.F8E4M3Blocked, 64, 2)]
    [InlineData(WeightFormat.F8E4M3Blocked, 101, 1)]
    [InlineData(WeightFormat.F8E4M3Blocked, 56, 2)]
    [InlineData(WeightFormat.BF16, 57, 1)]
    public void Linear_PrefillSizes_MatchNaive(WeightFormat format, int tokens, int threads)
    {
        // Prefill-sized calls (past the fused kernels' 48 tokens for 300 columns; 17 tokens stay there) take the packed
        // outer-product kernel: 421 rows give slices of 192 rows and partial 12-row panels, 300 columns a partial
        // 16-column chunk and a partial FP8 block. Tokens past the last whole 32-token group go through the fused kernels
        // when they are at most 24 (65: 1, 70: 6, 101: 5, 56: 24) and through a partial group otherwise (57: 25). The
        // slice from row 130 checks that panels read the rows of their slice (FP8 there: no fused tail, its rows are not
        // 4-aligned).
        using var weight = TestWeight.Create(format, 421, 300, seed: 21);
        var x = Random(tokens * 300, seed: 22);
        var naive = NaiveKernels.Linear(x, tokens, weight.Matrix);
        using var backend = new CpuBackend(threads);

        var full = new float[tokens * 421];
        backend.Linear(x, tokens, weight.Matrix, 0, 421, full);
        var slice = new float[tokens * 250];
        backend.Linear(x, tokens, weight.Matrix, 130, 250, slice);

        Assert.InRange(MaxDifference(full, naive), 0, Tolerance);
        for (int t = 0; t < tokens; t++)
        {
            Assert.InRange(MaxDifference(slice.AsSpan(t * 250, 250), naive.AsSpan((t * 421) + 130, 250)), 0, Tolerance);
        }
    }

    [Theory]
    [InlineData(WeightFormat.BF16, 101, 1)]
    [InlineData(WeightFormat.F8E4M3Blocked, 101, 2)]
    [InlineData(WeightFormat.BF16, 57, 2)]
    public void Linear_TokensBeyondOneL2Block_MatchNaive(WeightFormat format, int tokens, int threads)
    {
        // 3000 columns make a 32-token group 376 KB, so every slice of 33+ tokens spans two L2 blocks: the packed kernel
        // decodes each run of panels once and multiplies it with both blocks (421 rows: a partial run and panel). Rows
        // this wide keep the fused kernels to 24 tokens, so 57 tokens end on a partial 32-lane group of 25.
        using var weight = TestWeight.Create(format, 421, 3000, seed: 61);
        var x = Random(tokens * 3000, seed: 62);
        var y = new float[tokens * 421];
        using var backend = new CpuBackend(threads);

        backend.Linear(x, tokens, weight.Matrix, 0, 421, y);

        // Sums of 3000 products: float rounding (order differs from the naive loop) grows with the length.
        Assert.InRange(MaxDifference(y, NaiveKernels.Linear(x, tokens, weight.Matrix)), 0, 15 * Tolerance);
    }

    [Theory]
    [InlineData(WeightFormat.BF16, 70, 2)]
    [InlineData(WeightFormat.F8E4M3Blocked, 101, 1)]
    [InlineData(WeightFormat.F8E4M3Blocked, 57, 2)]
    public void LinearGroup_PrefillSizes_MatchNaive(WeightFormat format, int tokens, int threads)
    {
        // Prefill-sized products cut into several chunks (421 rows) get their x transposed once, in a packing pass:
        // the first two read the same x (one shared copy), the third its own; the fourth is a row slice. Sums of 300
        // products in another order than the naive loop: twice the usual tolerance.
        const float Tolerance = 2 * CpuBackendTests.Tolerance;
        using var first = TestWeight.Create(format, 421, 300, seed: 51);
        using var second = TestWeight.Create(format, 400, 300, seed: 52);
        using var third = TestWeight.Create(format, 421, 300, seed: 53);
        var x = Random(tokens * 300, seed: 54);
        var other = Random(tokens * 300, seed: 55);
        var y = new[] { new float[tokens * 421], new float[tokens * 400], new float[tokens * 421], new float[tokens * 200] };
        using var backend = new CpuBackend(threads);
        unsafe
        {
            fixed (float* xp = x)
            fixed (float* op = other)
            fixed (float* y0 = y[0])
            fixed (float* y1 = y[1])
            fixed (float* y2 = y[2])
            fixed (float* y3 = y[3])
            {
                backend.LinearGroup([new(first.Matrix, xp, tokens, y0), new(second.Matrix, xp, tokens, y1), new(third.Matrix, op, tokens, y2),
                    new(third.Matrix, 200, 200, xp, tokens, y3)]);
            }
        }

        Assert.InRange(MaxDifference(y[0], NaiveKernels.Linear(x, tokens, first.Matrix)), 0, Tolerance);
        Assert.InRange(MaxDifference(y[1], NaiveKernels.Linear(x, tokens, second.Matrix)), 0, Tolerance);
        Assert.InRange(MaxDifference(y[2], NaiveKernels.Linear(other, tokens, third.Matrix)), 0, Tolerance);
        var thirdOnX = NaiveKernels.Linear(x, tokens, third.Matrix);
        for (int t = 0; t < tokens; t++)
        {
            Assert.InRange(MaxDifference(y[3].AsSpan(t * 200, 200), thirdOnX.AsSpan((t * 421) + 200, 200)), 0, Tolerance);
        }
    }

    [Theory]
    [InlineData(WeightFormat.F8E4M3Blocked, 768, 384, 2, 2)] // 295 KB: a slice per thread, not 8 of 37 KB
    [InlineData(WeightFormat.F8E4M3Blocked, 1536, 512, 3, 3)] // 786 KB: 3 slices of 256 KB
    [InlineData(WeightFormat.BF16, 640, 1024, 2, 4)] // 1.3 MB: 5 slices of 256 KB, rounded down to what 2 threads divide
    [InlineData(WeightFormat.F8E4M3Blocked, 2816, 1024, 2, 8)] // 2.9 MB: 8 slices (4 a thread), as for any product
    public void Linear_OneToken_SlicesOfAtLeast256KB_MatchNaive(WeightFormat format, int rows, int columns, int threads, int slices)
    {
        // Batch-1 slices start two cold streams each; small products are cut into fewer of them. y starts as NaN: a row
        // no slice wrote fails the comparison. The pool profile names the cut the run used.
        using var weight = TestWeight.Create(format, rows, columns, seed: 81);
        var x = Random(columns, seed: 82);
        var y = new float[rows];
        Array.Fill(y, float.NaN);
        using var backend = new CpuBackend(threads);
        var profile = new PoolProfile();
        backend.PoolProfile = profile;

        backend.Linear(x, 1, weight.Matrix, 0, rows, y);

        Assert.InRange(MaxDifference(y, NaiveKernels.Linear(x, 1, weight.Matrix)), 0, 4 * Tolerance);
        Assert.Contains(profile.Rows, row => row.Job.StartsWith($"Linear {rows}x{columns} {format}, 1 tokens, {slices}x1 tasks", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(WeightFormat.F8E4M3Blocked, 5, 2)]
    [InlineData(WeightFormat.F8E4M3Blocked, 7, 3)]
    [InlineData(WeightFormat.BF16, 5, 2)]
    [InlineData(WeightFormat.BF16, 3, 4)]
    public void LinearGroup_OneTokenProductsThatDoNotDivideAmongThreads_MatchNaive(WeightFormat format, int products, int threads)
    {
        // A batch-1 MoE layer's products are one task each; when their count leaves a remainder over the threads, the
        // last ones are cut into pieces. Every row must still be written once, with its own product's result: y starts
        // as NaN, so a row no piece wrote fails the comparison.
        var weights = new TestWeight[products];
        var x = new float[products][];
        var y = new float[products][];
        for (int p = 0; p < products; p++)
        {
            weights[p] = TestWeight.Create(format, 384, 256, seed: 70 + p);
            x[p] = Random(256, seed: 90 + p);
            y[p] = new float[384];
            Array.Fill(y[p], float.NaN);
        }

        RunGroupPinned(threads, x, y, (p, xPointer, yPointer) => new LinearProduct(weights[p].Matrix, (float*)xPointer, 1, (float*)yPointer));

        for (int p = 0; p < products; p++)
        {
            Assert.InRange(MaxDifference(y[p], NaiveKernels.Linear(x[p], 1, weights[p].Matrix)), 0, Tolerance);
            weights[p].Dispose();
        }
    }

    [Theory]
    [InlineData(WeightFormat.F8E4M3Blocked)]
    [InlineData(WeightFormat.BF16)]
    public void LinearGroup_OneTokenProductsOfUnequalSize_MatchNaive(WeightFormat format)
    {
        // Batch-1 MLA's q_a (384 rows) and kv_a (288 rows) on two threads: q_a is cut at the pair's mean, and its last 48
        // rows run as a task of their own. Every row must still be written once with its own product's result (NaN start).
        int[] rows = [384, 288];
        var weights = rows.Select((r, p) => TestWeight.Create(format, r, 1024, seed: 170 + p)).ToArray();
        var x = new[] { Random(1024, seed: 180), Random(1024, seed: 180) };
        var y = rows.Select(r => Enumerable.Repeat(float.NaN, r).ToArray()).ToArray();
        RunGroupPinned(2, x, y, (p, xPointer, yPointer) => new LinearProduct(weights[p].Matrix, (float*)xPointer, 1, (float*)yPointer));
        for (int p = 0; p < rows.Length; p++)
        {
            Assert.InRange(MaxDifference(y[p], NaiveKernels.Linear(x[p], 1, weights[p].Matrix)), 0, Tolerance);
            weights[p].Dispose();
        }
    }

    [Theory]
    [InlineData(WeightFormat.F8E4M3Blocked, 384, 1024, 5, 2)] // a batch-1 MoE layer: 4 whole tasks and two halves
    [InlineData(WeightFormat.F8E4M3Blocked, 2816, 1024, 1, 3)] // the dense MLP, cut into many tasks
    [InlineData(WeightFormat.F8E4M3Blocked, 129, 256, 3, 2)] // an odd last row
    [InlineData(WeightFormat.F8E4M3Blocked, 99, 320, 2, 2)] // columns off the 128-column blocks: the fallback
    [InlineData(WeightFormat.BF16, 384, 1024, 5, 2)]
    [InlineData(WeightFormat.BF16, 101, 200, 3, 4)]
    [InlineData(WeightFormat.BF16, 65, 4096, 2, 2)] // wide rows: into L2 ahead where the processor takes it
    [InlineData(WeightFormat.F32, 48, 192, 2, 2)]
    public void LinearGroup_SiluGatedProducts_MatchSiluOfGateTimesUp(WeightFormat format, int rows, int columns, int products, int threads)
    {
        // y = silu(gate · x) ⊙ (up · x), each task reading its rows of both matrices and applying the activation itself.
        // y starts as NaN, so a row no task finished fails the comparison.
        var gates = new TestWeight[products];
        var ups = new TestWeight[products];
        var x = new float[products][];
        var y = new float[products][];
        for (int p = 0; p < products; p++)
        {
            gates[p] = TestWeight.Create(format, rows, columns, seed: 110 + p);
            ups[p] = TestWeight.Create(format, rows, columns, seed: 130 + p);
            x[p] = Random(columns, seed: 150 + p);
            y[p] = new float[rows];
            Array.Fill(y[p], float.NaN);
        }

        RunGroupPinned(threads, x, y, (p, xPointer, yPointer) => LinearProduct.SiluGated(gates[p].Matrix, ups[p].Matrix, (float*)xPointer,
            (float*)yPointer));

        for (int p = 0; p < products; p++)
        {
            var gate = NaiveKernels.Linear(x[p], 1, gates[p].Matrix);
            var up = NaiveKernels.Linear(x[p], 1, ups[p].Matrix);
            var expected = new float[rows];
            for (int r = 0; r < rows; r++)
            {
                expected[r] = gate[r] / (1 + MathF.Exp(-gate[r])) * up[r];
            }

            // silu(g) · u is about |g · u|: each sum's rounding (relative to its own size) grows with the other.
            float scale = Math.Max(1, expected.Max(Math.Abs));
            Assert.InRange(MaxDifference(y[p], expected), 0, Tolerance * scale);
            gates[p].Dispose();
            ups[p].Dispose();
        }
    }

    /// <summary>One grouped run of product(p, x[p], y[p]) for every p, on a backend of <paramref name="threads"/> threads, x and y pinned.</summary>
    private static void RunGroupPinned(int threads, float[][] x, float[][] y, Func<int, nint, nint, LinearProduct> product)
    {
        using var backend = new CpuBackend(threads);
        var handles = new List<GCHandle>();
        try
        {
            var group = new LinearProduct[x.Length];
            for (int p = 0; p < x.Length; p++)
            {
                var xHandle = GCHandle.Alloc(x[p], GCHandleType.Pinned);
                var yHandle = GCHandle.Alloc(y[p], GCHandleType.Pinned);
                handles.Add(xHandle);
                handles.Add(yHandle);
                group[p] = product(p, xHandle.AddrOfPinnedObject(), yHandle.AddrOfPinnedObject());
            }

            backend.LinearGroup(group);
        }
        finally
        {
            handles.ForEach(handle => handle.Free());
        }
    }

    [Fact]
    public void SiluGated_UpOfAnotherShapeOrFormat_IsRefused()
    {
        using var gate = TestWeight.Create(WeightFormat.BF16, 64, 128, seed: 1);
        using var taller = TestWeight.Create(WeightFormat.BF16, 68, 128, seed: 2);
        using var fp8 = TestWeight.Create(WeightFormat.F8E4M3Blocked, 64, 128, seed: 3);
        var buffer = new float[128];
        unsafe
        {
            fixed (float* pointer = buffer)
            {
                float* p = pointer;
                Assert.Throws<ArgumentException>(() => LinearProduct.SiluGated(gate.Matrix, taller.Matrix, p, p));
                Assert.Throws<ArgumentException>(() => LinearProduct.SiluGated(gate.Matrix, fp8.Matrix, p, p));
            }
        }
    }

    [Theory]
    [InlineData(WeightFormat.BF16, 57)]
    [InlineData(WeightFormat.F8E4M3Blocked, 90)]
    public void Linear_Prefill_IgnoresWhatTheScratchHeldBefore(WeightFormat format, int tokens)
    {
        // The packed kernel's scratch is reused uninitialized: its padding (columns 3000..3007, lanes past the last token
        // of a partial group: rows this wide keep the fused kernels to 24 tokens, so 57 = 32 + 25 and 90 = 64 + 26) must
        // be cleared, or a stale NaN there would poison every sum (0 · NaN = NaN). One thread: the test's own.
        using var weight = TestWeight.Create(format, 200, 3000, seed: 31);
        var x = Random(tokens * 3000, seed: 32);
        var poison = new float[1 << 20];
        poison.AsSpan().Fill(float.NaN);
        typeof(CpuBackend).Assembly.GetType("DeepSeekV3.Inference.Compute.PackedGemmKernel")!
            .GetField("t_input", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.SetValue(null, poison);
        using var backend = new CpuBackend(1);

        var y = new float[tokens * 200];
        backend.Linear(x, tokens, weight.Matrix, 0, 200, y);

        // Sums of 3000 products: float rounding (order differs from the naive loop) grows with the length.
        Assert.InRange(MaxDifference(y, NaiveKernels.Linear(x, tokens, weight.Matrix)), 0, 15 * Tolerance);
    }

    [Theory]
    [InlineData(WeightFormat.BF16, 37, 1, 1)]
    [InlineData(WeightFormat.BF16, 37, 4, 2)]
    [InlineData(WeightFormat.BF16, 37, 9, 2)]
    [InlineData(WeightFormat.BF16, 37, 16, 1)]
    [InlineData(WeightFormat.BF16, 150, 2, 1)]
    [InlineData(WeightFormat.BF16, 150, 3, 2)]
    [InlineData(WeightFormat.BF16, 150, 5, 2)]
    [InlineData(WeightFormat.BF16, 37, 6, 1)]   // one pass of 6
    [InlineData(WeightFormat.BF16, 150, 10, 2)] // 4, then 6
    [InlineData(WeightFormat.BF16, 150, 17, 2)]
    [InlineData(WeightFormat.F8E4M3Blocked, 150, 2, 1)]
    [InlineData(WeightFormat.F8E4M3Blocked, 150, 3, 2)]
    [InlineData(WeightFormat.F8E4M3Blocked, 150, 5, 1)]  // one pass of 5
    [InlineData(WeightFormat.F8E4M3Blocked, 150, 6, 2)]  // one pass of 6
    [InlineData(WeightFormat.F8E4M3Blocked, 150, 7, 2)]
    [InlineData(WeightFormat.F8E4M3Blocked, 150, 8, 1)]
    [InlineData(WeightFormat.F8E4M3Blocked, 150, 10, 1)] // 4, then 6
    [InlineData(WeightFormat.F8E4M3Blocked, 150, 13, 2)] // 4, 4, then 5
    [InlineData(WeightFormat.F8E4M3Blocked, 150, 16, 2)]
    [InlineData(WeightFormat.F8E4M3Blocked, 150, 20, 1)]
    [InlineData(WeightFormat.F8E4M3Blocked, 150, 24, 2)]
    [InlineData(WeightFormat.BF16, 150, 25, 2)]
    [InlineData(WeightFormat.F8E4M3Blocked, 150, 41, 2)]
    [InlineData(WeightFormat.BF16, 150, 46, 1)]
    [InlineData(WeightFormat.F8E4M3Blocked, 150, 49, 2)]
    public void Linear_TokenCountsAroundTheTile_MatchNaive(WeightFormat format, int columns, int tokens, int threads)
    {
        // 130 rows leave a partial panel; 37 or 150 columns a tail after the last whole vector (150: two FP8 blocks).
        // Up to 48 tokens at these widths take the fused kernels in passes over each panel: FP8 6 or 4 tokens at a time,
        // never a pass of 1 or 2 (5, 13, 41: one pass of 5; 7: of 3; 10, 16, 20, 24: of 6 and 4), BF16 4 at a time, the
        // last 6 together when 2 are left over (6, 10, 46); past 48, 130 rows (too few for the packed kernel's slices)
        // take the tiled path.
        using var weight = TestWeight.Create(format, 130, columns, seed: 8);
        var x = Random(tokens * columns, seed: 9);
        var y = new float[tokens * 130];
        using var backend = new CpuBackend(threads);

        backend.Linear(x, tokens, weight.Matrix, 0, 130, y);

        Assert.InRange(MaxDifference(y, NaiveKernels.Linear(x, tokens, weight.Matrix)), 0, Tolerance);
    }

    [Theory]
    [InlineData(1)] // a pass of 1: LinearRows never asks for one, but Panel takes any count
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)] // 4 + 3
    public void FusedGemvPanel_EachPassTokenCount_MatchesTheDecodedDotProducts(int tokens)
    {
        if (!FusedGemvKernel.IsSupported)
        {
            return;
        }

        // 4 rows of 70 finite codes (a 6-column tail past the last whole vector); x already scaled by InputScale, as the
        // kernel expects, so y[t, r] = Σ e4m3(code) · x[t].
        const int Columns = 70;
        var random = new Random(21);
        var codes = new byte[4 * Columns];
        for (int i = 0; i < codes.Length; i++)
        {
            do
            {
                codes[i] = (byte)random.Next(256);
            }
            while ((codes[i] & 0x7F) == 0x7F); // the NaN codes are never weights
        }

        var x = Random(tokens * Columns, seed: 22);
        var scaled = x.Select(v => v * Fp8Decoder.InputScale).ToArray();
        var y = new float[tokens * 4];
        fixed (byte* w = codes)
        fixed (float* xs = scaled)
        fixed (float* ys = y)
        {
            FusedGemvKernel.Panel<Fp8Decoder>(w, Columns, xs, tokens, ys, 4, 0);
        }

        for (int t = 0; t < tokens; t++)
        {
            for (int r = 0; r < 4; r++)
            {
                float expected = 0;
                for (int j = 0; j < Columns; j++)
                {
                    expected += Float8E4M3.ToSingle(codes[(r * Columns) + j]) * x[(t * Columns) + j];
                }

                Assert.InRange(Math.Abs(y[(t * 4) + r] - expected), 0, 1e-4f * (1 + Math.Abs(expected)));
            }
        }
    }

    [Theory]
    [InlineData(WeightFormat.BF16)]
    [InlineData(WeightFormat.F8E4M3Blocked)]
    public void Linear_TwoTokens_FourRowPanelsBesideEightRowOnes_MatchNaive(WeightFormat format)
    {
        // Two tokens mostly run 8 rows at a time; a 4-row panel left over (BF16: the slice's last 4 of 132 rows; FP8: the
        // first, starting at row 4, off the 8-row grid) takes the 4-row kernel compiled for exactly two tokens.
        using var weight = TestWeight.Create(format, 260, 256, seed: 12);
        var x = Random(2 * 256, seed: 13);
        var naive = NaiveKernels.Linear(x, 2, weight.Matrix);
        using var backend = new CpuBackend(1);
        var slice = new float[2 * 132];

        backend.Linear(x, 2, weight.Matrix, 4, 132, slice);

        for (int t = 0; t < 2; t++)
        {
            Assert.InRange(MaxDifference(slice.AsSpan(t * 132, 132), naive.AsSpan((t * 260) + 4, 132)), 0, Tolerance);
        }
    }

    [Theory]
    [InlineData(256, 0, 300)]  // four rows a pass
    [InlineData(384, 8, 258)]  // four rows a pass, pairs that straddle a scale block
    [InlineData(512, 4, 246)]  // pairs of rows
    [InlineData(1024, 0, 299)] // pairs, and one row left without a partner
    public void TwoStreamGemv_Fp8_BothInputLayouts_MatchNaive(int columns, int rowStart, int rowCount)
    {
        // Linear takes the arranged layout wherever the machine allows, so the plain one is checked here directly.
        using var weight = TestWeight.Create(WeightFormat.F8E4M3Blocked, 300, columns, seed: 23);
        var x = Random(columns, seed: 24);
        var naive = NaiveKernels.Linear(x, 1, weight.Matrix);
        var layouts = Fp8WideDecoder.IsSupported && TwoStreamGemv.CanTakeArranged(weight.Matrix) ? new[] { false, true } : new[] { false };
        foreach (bool arranged in layouts)
        {
            var prepared = new float[columns];
            var y = new float[rowCount];
            fixed (float* from = x, to = prepared, output = y)
            {
                if (arranged)
                {
                    Fp8WideDecoder.Arrange(from, columns, Fp8Decoder.InputScale, to);
                }
                else
                {
                    TensorPrimitives.Multiply(x, Fp8Decoder.InputScale, prepared);
                }

                TwoStreamGemv.Fp8(weight.Matrix, rowStart, rowCount, to, output, arranged);
            }

            Assert.InRange(MaxDifference(y, naive.AsSpan(rowStart, rowCount)), 0, Tolerance);
        }
    }

    [Theory]
    [InlineData(4096, 0, 37)]  // a wide row's stream, an odd row count: the last row runs without a partner
    [InlineData(4224, 130, 38)] // 33 scale blocks, rows from the second block row; a pair runs after the pairs of pairs
    public void TwoStreamGemv_Fp8WideRows_EitherPrefetch_MatchNaive(int columns, int rowStart, int rowCount)
    {
        // Which prefetch wide rows take depends on the processor (WeightPrefetch.WideRowsIntoL2), so both are run here.
        if (!Fp8WideDecoder.IsSupported)
        {
            return; // without GFNI, FP8 rows never take the arranged kernels
        }

        using var weight = TestWeight.Create(WeightFormat.F8E4M3Blocked, 200, columns, seed: 25);
        var x = Random(columns, seed: 26);
        var naive = NaiveKernels.Linear(x, 1, weight.Matrix);
        var arranged = new float[columns];
        var intoL2 = new float[rowCount];
        var streamAhead = new float[rowCount];
        fixed (float* from = x, to = arranged, first = intoL2, second = streamAhead)
        {
            Fp8WideDecoder.Arrange(from, columns, Fp8Decoder.InputScale, to);
            TwoStreamGemv.Fp8Arranged<IntoL2AheadBlock>(weight.Matrix, rowStart, rowCount, to, first);
            TwoStreamGemv.Fp8Arranged<StreamAheadBlock>(weight.Matrix, rowStart, rowCount, to, second);
        }

        Assert.InRange(MaxDifference(intoL2, naive.AsSpan(rowStart, rowCount)), 0, Tolerance);
        Assert.InRange(MaxDifference(streamAhead, naive.AsSpan(rowStart, rowCount)), 0, Tolerance);
    }

    [Fact]
    public void Fp8WideDecoder_ArrangeMatchesTheDecodingOrder()
    {
        if (!Fp8WideDecoder.IsSupported)
        {
            return; // without GFNI nothing is decoded or arranged this way
        }

        // x[c] = c over three 64-column steps and a 5-column rest. One code of a step set to 1.0 (0x38), the rest 0: the
        // decoded step times the arranged x, summed over all lanes, is 2 · c exactly only if Arrange put column c
        // where Load64 puts code c (and scaled it by 2); the rest keeps its place.
        const int Steps = 3, Rest = 5;
        var x = Enumerable.Range(0, (64 * Steps) + Rest).Select(c => (float)c).ToArray();
        var arranged = new float[x.Length];
        var codes = new byte[64];
        fixed (float* from = x, to = arranged)
        fixed (byte* code = codes)
        {
            Fp8WideDecoder.Arrange(from, x.Length, 2f, to);
            for (int step = 0; step < 64 * Steps; step += 64)
            {
                for (int marked = 0; marked < 64; marked++)
                {
                    Array.Clear(codes);
                    codes[marked] = 0x38;
                    Fp8WideDecoder.Load64(code, Fp8WideDecoder.Constants.Create(), out var v0, out var v1, out var v2, out var v3);
                    var products = (v0 * Vector512.Load(to + step)) + (v1 * Vector512.Load(to + step + 16))
                        + (v2 * Vector512.Load(to + step + 32)) + (v3 * Vector512.Load(to + step + 48));
                    Assert.Equal(2f * (step + marked), Vector512.Sum(products) * Fp8Decoder.InputScale * Fp8Decoder.OutputScale);
                }
            }

            for (int c = 64 * Steps; c < x.Length; c++)
            {
                Assert.Equal(2f * c, arranged[c]);
            }
        }
    }

    [Theory]
    [InlineData(WeightFormat.BF16, 96, 0, 300, 2)]
    [InlineData(WeightFormat.BF16, 1061, 1, 257, 2)]
    [InlineData(WeightFormat.BF16, 200, 129, 1, 1)]
    [InlineData(WeightFormat.BF16, 4096, 3, 297, 2)] // wide rows: into L2 ahead where the processor takes it
    [InlineData(WeightFormat.BF16, 4133, 0, 300, 1)] // wide rows with a tail of 5 columns
    [InlineData(WeightFormat.F8E4M3Blocked, 200, 0, 300, 2)]
    [InlineData(WeightFormat.F8E4M3Blocked, 300, 7, 130, 1)]
    [InlineData(WeightFormat.F8E4M3Blocked, 1061, 129, 3, 2)]
    [InlineData(WeightFormat.F8E4M3Blocked, 256, 4, 250, 1)] // whole blocks, short rows: four rows per pass
    [InlineData(WeightFormat.F8E4M3Blocked, 384, 0, 300, 2)]
    [InlineData(WeightFormat.F8E4M3Blocked, 384, 8, 258, 1)] // the second half's row pairs start odd: 127 + 128 share a pass
    [InlineData(WeightFormat.F8E4M3Blocked, 512, 4, 246, 1)] // whole blocks, longer rows: pairs without tails
    [InlineData(WeightFormat.F8E4M3Blocked, 512, 0, 300, 2)]
    [InlineData(WeightFormat.F8E4M3Blocked, 4096, 0, 300, 2)] // long rows
    public void Linear_OneToken_RowSlices_MatchNaive(WeightFormat format, int columns, int rowStart, int rowCount, int threads)
    {
        // Batch 1 reads a slice's two halves side by side: odd row counts leave one row without a partner; slices start
        // anywhere and cross 128-row scale blocks (FP8: the two rows of a pair then carry different scales); columns
        // cover the 64-column steps, a lone 32-column step, partial scale blocks and a tail of single columns, and whole
        // scale blocks (FP8 rows of up to 384 columns go two adjacent rows of each half at a time, which can straddle a
        // scale block too). The test weight's blocks differ in magnitude, so a wrong block's scale shows.
        using var weight = TestWeight.Create(format, 300, columns, seed: 21);
        var x = Random(columns, seed: 22);
        var naive = NaiveKernels.Linear(x, 1, weight.Matrix);
        var y = new float[rowCount];
        using var backend = new CpuBackend(threads);

        backend.Linear(x, 1, weight.Matrix, rowStart, rowCount, y);

        Assert.InRange(MaxDifference(y, naive.AsSpan(rowStart, rowCount)), 0, Tolerance);
    }

    [Theory]
    [InlineData(7, 3, 1)]        // small: on the calling thread
    [InlineData(3000, 64, 2)]    // one head of a prefill's tokens: split across the pool
    public void CopyRows_CopiesEveryStridedRowAndNothingElse(int rows, int length, int threads)
    {
        int sourceStride = length + 5, targetStride = length + 3;
        var source = Random((rows * sourceStride) + 2, seed: 41);
        var target = Enumerable.Repeat(-7f, (rows * targetStride) + 2).ToArray();
        using var backend = new CpuBackend(threads);

        backend.CopyRows(source.AsSpan(2), sourceStride, target.AsSpan(1), targetStride, rows, length);

        for (int i = 0; i < target.Length; i++)
        {
            int row = (i - 1) / targetStride, column = (i - 1) % targetStride;
            bool copied = i >= 1 && row < rows && column < length;
            Assert.Equal(copied ? source[2 + (row * sourceStride) + column] : -7f, target[i]);
        }

        Assert.Throws<ArgumentException>(() => backend.CopyRows(source, sourceStride, target.AsSpan(0, 10), targetStride, rows, length));
    }

    [Theory]
    [InlineData(WeightFormat.BF16, 3, 1)]    // a decode step: on the calling thread
    [InlineData(WeightFormat.BF16, 300, 2)]  // a prompt: split across the pool
    [InlineData(WeightFormat.F8E4M3Blocked, 300, 3)]
    public void Embedding_CopiesEachTokensRowAndRejectsUnknownIdsBeforeWriting(WeightFormat format, int tokens, int threads)
    {
        using var table = TestWeight.Create(format, 500, 150, seed: 51);
        var ids = Enumerable.Range(0, tokens).Select(t => (t * 37) % 500).ToArray();
        var y = new float[tokens * 150];
        using var backend = new CpuBackend(threads);

        backend.Embedding(table.Matrix, ids, y);

        var row = new float[150];
        for (int t = 0; t < tokens; t++)
        {
            table.Matrix.DequantizeRow(ids[t], row);
            Assert.Equal(row, y.AsSpan(t * 150, 150).ToArray());
        }

        ids[tokens - 1] = 500;
        Array.Fill(y, -7f);
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.Embedding(table.Matrix, ids, y));
        Assert.All(y, value => Assert.Equal(-7f, value));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void LinearTransposed_MatchesNaive(WeightFormat format, int threads)
    {
        using var weight = TestWeight.Create(format, 150, 70, seed: 3);
        using var backend = new CpuBackend(threads);
        foreach (int tokens in new[] { 5, 37 }) // both sides of the transpose threshold
        {
            var x = Random(tokens * 150, seed: 4);
            var naive = NaiveKernels.LinearTransposed(x, tokens, weight.Matrix);
            var y = new float[tokens * 70];

            backend.LinearTransposed(x, tokens, weight.Matrix, 0, 150, y);

            Assert.InRange(MaxDifference(y, naive), 0, Tolerance);
        }
    }

    [Theory]
    [InlineData(WeightFormat.BF16, 1, 1, 320)]
    [InlineData(WeightFormat.BF16, 3, 2, 320)]
    [InlineData(WeightFormat.BF16, 5, 2, 336)]
    [InlineData(WeightFormat.F8E4M3Blocked, 1, 1, 320)]
    [InlineData(WeightFormat.F8E4M3Blocked, 4, 2, 320)]
    [InlineData(WeightFormat.F8E4M3Blocked, 6, 1, 336)]
    [InlineData(WeightFormat.BF16, 37, 2, 336)]
    [InlineData(WeightFormat.F8E4M3Blocked, 37, 1, 320)]
    public void LinearTransposed_HeadSliceOfWholeVectors_MatchesNaive(WeightFormat format, int tokens, int threads, int columns)
    {
        // Whole 16-lane vectors (320: 64-column tiles only, the last in a partial FP8 block; 336: a 16-column tile after
        // them) take the fused kernel that decodes in registers, 4 tokens at a time (5, 6: a partial second group);
        // 37 tokens transpose the slice (16 × 16 register blocks, 4 row blocks) and run the prefill kernel; rows
        // 100..163 of 300 (an attention head's slice, crossing an FP8 block boundary at row 128).
        using var weight = TestWeight.Create(format, 300, columns, seed: 31);
        var x = Random(tokens * 64, seed: 32);
        var slice = new float[64 * columns];
        for (int r = 0; r < 64; r++)
        {
            weight.Matrix.DequantizeRow(100 + r, slice.AsSpan(r * columns, columns));
        }

        using var backend = new CpuBackend(threads);
        var y = new float[tokens * columns];

        backend.LinearTransposed(x, tokens, weight.Matrix, 100, 64, y);

        for (int t = 0; t < tokens; t++)
        {
            for (int c = 0; c < columns; c++)
            {
                double expected = 0;
                for (int r = 0; r < 64; r++)
                {
                    expected += (double)x[(t * 64) + r] * slice[(r * columns) + c];
                }

                Assert.InRange(Math.Abs(y[(t * columns) + c] - expected), 0, Tolerance);
            }
        }
    }

    [Theory]
    [InlineData(WeightFormat.BF16, 37, 2, 336)]
    [InlineData(WeightFormat.F8E4M3Blocked, 37, 1, 320)]
    [InlineData(WeightFormat.F8E4M3Blocked, 5, 2, 336)]
    [InlineData(WeightFormat.F32, 13, 2, 70)]
    public void AbsorbHeads_InPlaceInStridedBuffers_MatchesPerHeadProducts(WeightFormat format, int tokens, int threads, int columns)
    {
        // W_UK of a prefill: 3 heads of 64 rows every 100 (rows 0..263 of 300, crossing FP8 block boundaries), x read from
        // [tokens, 3 heads of 96] plus 7 padding values per token row, y written into [tokens, 3 heads of columns] plus 5
        // padding values that must stay untouched. 336 columns: 64-column tiles and a 16-column one; 70: one 64-column
        // tile and 6 columns one by one; 37 and 13 tokens: a partial last group of 6.
        const int Heads = 3, HeadRows = 100, Rows = 64, HeadWidth = 96;
        int xStride = (Heads * HeadWidth) + 7, yStride = (Heads * columns) + 5;
        using var weight = TestWeight.Create(format, 300, columns, seed: 41);
        var x = Random(tokens * xStride, seed: 42);
        var y = new float[tokens * yStride];
        Array.Fill(y, -7f);
        using var backend = new CpuBackend(threads);

        backend.AbsorbHeads(x, xStride, HeadWidth, tokens, weight.Matrix, Heads, HeadRows, Rows, y, yStride);

        for (int h = 0; h < Heads; h++)
        {
            var slice = new float[Rows * columns];
            for (int r = 0; r < Rows; r++)
            {
                weight.Matrix.DequantizeRow((h * HeadRows) + r, slice.AsSpan(r * columns, columns));
            }

            for (int t = 0; t < tokens; t++)
            {
                for (int c = 0; c < columns; c++)
                {
                    double expected = 0;
                    for (int r = 0; r < Rows; r++)
                    {
                        expected += (double)x[(t * xStride) + (h * HeadWidth) + r] * slice[(r * columns) + c];
                    }

                    Assert.InRange(Math.Abs(y[(t * yStride) + (h * columns) + c] - expected), 0, Tolerance);
                }
            }
        }

        for (int t = 0; t < tokens; t++)
        {
            Assert.All(y.AsSpan((t * yStride) + (Heads * columns), 5).ToArray(), value => Assert.Equal(-7f, value));
        }

        Assert.Throws<ArgumentException>(() => backend.AbsorbHeads(x, xStride, HeadWidth, tokens, weight.Matrix, Heads, 150, Rows, y, yStride));
        Assert.Throws<ArgumentException>(() => backend.AbsorbHeads(x, xStride, HeadWidth, tokens, weight.Matrix, Heads, HeadRows, Rows, y, columns));
    }

    [Theory]
    [InlineData(WeightFormat.BF16, 37, 2, 256)]
    [InlineData(WeightFormat.F8E4M3Blocked, 19, 1, 256)]
    [InlineData(WeightFormat.F8E4M3Blocked, 6, 2, 70)]
    [InlineData(WeightFormat.F32, 13, 2, 70)]
    public void ApplyHeads_InPlaceInStridedBuffers_MatchesPerHeadProducts(WeightFormat format, int tokens, int threads, int columns)
    {
        // W_UV of a prefill: 3 heads of 64 value rows starting 36 rows into every 128 (rows 36..355 of 400, crossing FP8
        // block boundaries); x read from [tokens, 3 heads of columns + 3] plus 7 padding values per token row, y written
        // into [tokens, 3 heads of 64] plus 5 padding values that must stay untouched. The transposed slice (columns rows of
        // 64) takes one 64-column tile; 256 columns are whole 16 × 16 squares, 70 leave edges transposed one by one.
        const int Heads = 3, HeadRows = 128, RowStart = 36, Rows = 64;
        int headWidth = columns + 3, xStride = (Heads * headWidth) + 7, yStride = (Heads * Rows) + 5;
        using var weight = TestWeight.Create(format, 400, columns, seed: 43);
        var x = Random(tokens * xStride, seed: 44);
        var y = new float[tokens * yStride];
        Array.Fill(y, -7f);
        using var backend = new CpuBackend(threads);

        backend.ApplyHeads(x, xStride, headWidth, tokens, weight.Matrix, Heads, HeadRows, RowStart, Rows, y, yStride);

        var row = new float[columns];
        for (int h = 0; h < Heads; h++)
        {
            for (int v = 0; v < Rows; v++)
            {
                weight.Matrix.DequantizeRow((h * HeadRows) + RowStart + v, row);
                for (int t = 0; t < tokens; t++)
                {
                    double expected = 0;
                    for (int c = 0; c < columns; c++)
                    {
                        expected += (double)row[c] * x[(t * xStride) + (h * headWidth) + c];
                    }

                    Assert.InRange(Math.Abs(y[(t * yStride) + (h * Rows) + v] - expected), 0, 4 * Tolerance);
                }
            }
        }

        for (int t = 0; t < tokens; t++)
        {
            Assert.All(y.AsSpan((t * yStride) + (Heads * Rows), 5).ToArray(), value => Assert.Equal(-7f, value));
        }

        Assert.Throws<ArgumentException>(() => backend.ApplyHeads(x, xStride, headWidth, tokens, weight.Matrix, Heads, HeadRows, 100, Rows, y, yStride));
        Assert.Throws<ArgumentException>(() => backend.ApplyHeads(x, xStride, columns - 1, tokens, weight.Matrix, Heads, HeadRows, RowStart, Rows, y, yStride));
    }

    [Theory]
    [InlineData(WeightFormat.BF16, 1, 2)]
    [InlineData(WeightFormat.F8E4M3Blocked, 1, 2)]
    [InlineData(WeightFormat.F8E4M3Blocked, 3, 1)]
    [InlineData(WeightFormat.F8E4M3Blocked, 16, 2)]
    [InlineData(WeightFormat.BF16, 16, 2)]
    [InlineData(WeightFormat.F8E4M3Blocked, 17, 2)]
    public void AbsorbedHeadProducts_OneDispatch_MatchPerHeadProducts(WeightFormat format, int tokens, int threads)
    {
        // kv_b_proj-shaped: 5 heads of [48 k_nope | 32 v] rows (400 rows: heads cross the 128-row FP8 blocks), 320 columns.
        // W_UK: LinearTransposedHeads against one LinearTransposed per head; W_UV: a LinearGroup of row slices against
        // one Linear per head. Up to 16 tokens take the grouped kernel, 17 the per-head transposed path inside
        // LinearTransposedHeads, while LinearTransposed of one head transposes from 16 tokens on: each side of both cuts.
        const int Heads = 5, Nope = 48, V = 32, HeadRows = Nope + V, Columns = 320;
        using var weight = TestWeight.Create(format, Heads * HeadRows, Columns, seed: 41);
        using var backend = new CpuBackend(threads);
        var queries = Random(Heads * tokens * Nope, seed: 42);   // [heads, tokens, nope]
        var latents = Random(Heads * tokens * Columns, seed: 43); // [heads, tokens, columns]

        var absorbed = new float[Heads * tokens * Columns];
        backend.LinearTransposedHeads(queries, tokens, weight.Matrix, Heads, HeadRows, Nope, absorbed);
        var values = new float[Heads * tokens * V];
        unsafe
        {
            fixed (float* latentPointer = latents)
            fixed (float* valuePointer = values)
            {
                var products = new LinearProduct[Heads];
                for (int h = 0; h < Heads; h++)
                {
                    products[h] = new LinearProduct(weight.Matrix, (h * HeadRows) + Nope, V, latentPointer + (h * tokens * Columns), tokens,
                        valuePointer + (h * tokens * V));
                }

                backend.LinearGroup(products);
            }
        }

        for (int h = 0; h < Heads; h++)
        {
            var expectedAbsorbed = new float[tokens * Columns];
            backend.LinearTransposed(queries.AsSpan(h * tokens * Nope, tokens * Nope), tokens, weight.Matrix, h * HeadRows, Nope, expectedAbsorbed);
            Assert.InRange(MaxDifference(absorbed.AsSpan(h * tokens * Columns, tokens * Columns), expectedAbsorbed), 0, Tolerance);
            var expectedValues = new float[tokens * V];
            backend.Linear(latents.AsSpan(h * tokens * Columns, tokens * Columns), tokens, weight.Matrix, (h * HeadRows) + Nope, V, expectedValues);
            Assert.InRange(MaxDifference(values.AsSpan(h * tokens * V, tokens * V), expectedValues), 0, Tolerance);
        }
    }

    [Fact]
    public void RmsNorm_MatchesNaive()
    {
        var x = Random(4 * 96, seed: 5);
        var w = Random(96, seed: 6);
        var y = new float[4 * 96];

        using var backend = new CpuBackend();
        backend.RmsNorm(x, 4, w, 1e-6f, y);

        Assert.InRange(MaxDifference(y, NaiveKernels.RmsNorm(x, 4, w, 1e-6f)), 0, 1e-6f);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void RmsNorm_PrefillSized_MatchesNaive(int threads)
    {
        // 75 x 1000 = 75,000 floats: split across the pool (above ElementwiseJob.MinFloatsToSplit) into uneven row ranges.
        var x = Random(75 * 1000, seed: 5);
        var w = Random(1000, seed: 6);
        var y = new float[75 * 1000];

        using var backend = new CpuBackend(threads);
        backend.RmsNorm(x, 75, w, 1e-6f, y);

        Assert.InRange(MaxDifference(y, NaiveKernels.RmsNorm(x, 75, w, 1e-6f)), 0, 1e-5f);
    }

    [Theory]
    [InlineData(10_000, 2)]
    [InlineData(70_001, 1)]
    [InlineData(70_001, 2)]
    public void SiluMultiply_MatchesDefinition(int length, int threads)
    {
        // 10,000 floats run on the caller; 70,001 are split across the pool, the last task ending inside a cache line.
        var gate = Random(length, seed: 11).Select(v => v * 8).ToArray();
        var up = Random(length, seed: 12);
        var expected = gate.Zip(up, (g, u) => (float)(g / (1 + Math.Exp(-g)) * u)).ToArray();
        using var backend = new CpuBackend(threads);

        backend.SiluMultiply(gate, up);

        Assert.InRange(MaxDifference(gate, expected), 0, 1e-5f);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Add_PrefillSized_AddsEveryElement(int threads)
    {
        var accumulator = Random(65_537, seed: 13);
        var x = Random(65_537, seed: 14);
        var expected = accumulator.Zip(x, (a, b) => a + b).ToArray();
        using var backend = new CpuBackend(threads);

        backend.Add(accumulator, x);

        Assert.Equal(expected, accumulator);
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 3)]
    [InlineData(2, 200)]
    public void GatherRows_CopiesTheNamedRows(int threads, int rowLength)
    {
        var source = Random(500 * rowLength, seed: 15);
        int[] rows = [.. Enumerable.Range(0, 400).Select(i => (i * 37) % 500)];
        var target = new float[rows.Length * rowLength];
        using var backend = new CpuBackend(threads);

        backend.GatherRows(source, rowLength, rows, target);

        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(source.AsSpan(rows[i] * rowLength, rowLength).ToArray(), target.AsSpan(i * rowLength, rowLength).ToArray());
        }
    }

    [Fact]
    public void GatherRows_RowOutsideTheSource_Throws()
    {
        using var backend = new CpuBackend(2);
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.GatherRows(new float[6], 3, [0, 2], new float[6]));
    }

    [Theory]
    [InlineData(1, 4)]
    [InlineData(2, 4)]
    [InlineData(2, 8)]
    public void AddWeightedRows_SumsEachTokensRowsInOrder(int threads, int tokens)
    {
        // 4 rows per token among 4·tokens rows of 9000 (prefill-sized for 8 tokens); -1 marks a row computed elsewhere.
        const int RowLength = 9000, PerToken = 4;
        int slots = tokens * PerToken;
        var rows = Random(slots * RowLength, seed: 16);
        var weights = Random(slots, seed: 17);
        int[] positions = [.. Enumerable.Range(0, slots).Select(slot => slot % 7 == 3 ? -1 : (slot * 5) % slots)];
        var output = Random(tokens * RowLength, seed: 18);
        var expected = output.ToArray();
        for (int t = 0; t < tokens; t++)
        {
            for (int j = 0; j < PerToken; j++)
            {
                int p = positions[(t * PerToken) + j];
                for (int i = 0; p >= 0 && i < RowLength; i++)
                {
                    expected[(t * RowLength) + i] = MathF.FusedMultiplyAdd(rows[(p * RowLength) + i], weights[p], expected[(t * RowLength) + i]);
                }
            }
        }

        using var backend = new CpuBackend(threads);
        backend.AddWeightedRows(output, tokens, PerToken, rows, RowLength, positions, weights);

        Assert.InRange(MaxDifference(output, expected), 0, 1e-6f);
    }

    [Theory]
    [InlineData(1, 4)]
    [InlineData(2, 8)]
    public void CombineExperts_EqualsClearingAddingWeightedRowsThenTheSharedExperts(int threads, int tokens)
    {
        // The one-pass MoE combine against the three steps it replaces, bit for bit: output's old contents are ignored,
        // -1 rows skipped, and token 1 has no row here at all (its result is the shared experts' row alone).
        const int RowLength = 9000, PerToken = 4;
        int slots = tokens * PerToken;
        var rows = Random(slots * RowLength, seed: 26);
        var weights = Random(slots, seed: 27);
        var shared = Random(tokens * RowLength, seed: 28);
        int[] positions = [.. Enumerable.Range(0, slots).Select(slot => slot / PerToken == 1 || slot % 7 == 3 ? -1 : (slot * 5) % slots)];
        using var backend = new CpuBackend(threads);
        var expected = new float[tokens * RowLength];
        backend.AddWeightedRows(expected, tokens, PerToken, rows, RowLength, positions, weights);
        backend.Add(expected, shared);
        var output = Random(tokens * RowLength, seed: 29);

        backend.CombineExperts(output, tokens, PerToken, rows, RowLength, positions, weights, shared);

        Assert.Equal(expected, output);
        Assert.Equal(shared.AsSpan(RowLength, RowLength).ToArray(), output.AsSpan(RowLength, RowLength).ToArray());
        Assert.Throws<ArgumentException>(() => backend.CombineExperts(output, tokens, PerToken, rows, RowLength, positions, weights,
            shared.AsSpan(1)));
    }

    public static TheoryData<int[], int[], int, int, int> AttentionBatches => new()
    {
        // (tokens, start position) per sequence, threads, heads, cache block size: a 40-token prefill from 0 (blocks of 8),
        // a 37-token chunk after 20 cached positions next to a 3-token continuation and a decode token (blocks and tiles
        // in one step), a 31-token run (tiles only, just under the block path); 6 and 9 heads make tile tasks of several
        // head groups (4 heads each, the last partial), the last as a decode batch of single tokens. Contexts past 64 keys
        // take the tile path's chunks with the running softmax (151 keys: three chunks; a 3-token tile whose causal limit
        // falls inside the second chunk), and 24-token cache blocks put a chunk boundary inside a block. A lone tile with
        // a context of two 16-key ranges or more and fewer tasks than threads is split into key ranges merged afterwards
        // (100 keys on 2 threads; 601 keys on 2 threads; 702 keys on 3, the tile's first token seeing one key less than its
        // second; 40 keys on 2 threads, within one chunk: 16 + 24 keys; 21 keys on 3 threads with 24-key blocks: 16 + 5,
        // the cut inside a block).
        { [40], [0], 2, 3, 16 },
        { [37, 3, 1], [20, 5, 9], 2, 3, 16 },
        { [37, 3, 1], [20, 5, 9], 1, 3, 16 },
        { [31], [0], 2, 3, 16 },
        { [37, 3, 1], [20, 5, 9], 2, 6, 16 },
        { [1, 1, 1], [33, 7, 0], 2, 9, 16 },
        { [1, 3], [150, 70], 2, 6, 16 },
        { [1, 3], [150, 70], 1, 5, 24 },
        { [1], [99], 2, 8, 16 },
        { [1], [600], 2, 8, 16 },
        { [2], [700], 3, 5, 24 },
        { [1], [39], 2, 8, 16 },
        { [1], [20], 3, 8, 24 },
    };

    [Theory]
    [InlineData(new[] { 3, 1 }, new[] { 5, 40 }, 2)]         // decode-sized: on the calling thread
    [InlineData(new[] { 150, 70, 33 }, new[] { 0, 17, 2 }, 2)] // prefill-sized: token slices across the pool
    [InlineData(new[] { 150, 70, 33 }, new[] { 0, 17, 2 }, 3)]
    public void PrepareAttentionRows_WritesEveryTokensCacheRowAndRopedQueries(int[] tokens, int[] starts, int threads)
    {
        const int Rank = 64, RopeDim = 16, Heads = 5, Nope = 24, Layer = 1, BlockSize = 16;
        const float Eps = 1e-6f;
        int blocks = tokens.Select((count, s) => ((starts[s] + count) / BlockSize) + 1).Sum();
        var cache = new KvCache(2, Rank, RopeDim, BlockSize, blocks);
        var allocator = new KvBlockAllocator(cache);
        var batch = new ForwardBatch(cache);
        var tables = new List<KvBlockTable>();
        for (int s = 0; s < tokens.Length; s++)
        {
            var table = new KvBlockTable();
            allocator.EnsureCapacity(table, starts[s] + tokens[s]);
            tables.Add(table);
            batch.AddSequence(table, new int[tokens[s]], starts[s], wantLogits: false);
        }

        int n = batch.Count, pairs = RopeDim / 2;
        var kv = Random(n * (Rank + RopeDim), seed: 71);
        var weight = Random(Rank, seed: 72);
        var query = Random(n * Heads * (Nope + RopeDim), seed: 73);
        var cos = Random(n * pairs, seed: 74);
        var sin = Random(n * pairs, seed: 75);
        var queryRope = new float[n * Heads * RopeDim];
        using var backend = new CpuBackend(threads);

        backend.PrepareAttentionRows(kv, weight, Eps, query, Heads, Nope, cos, sin, batch, Layer, queryRope);

        // Definition, token by token: kv_norm of the latent, apply_rotary_emb on k_pe and on each head's q_pe.
        for (int t = 0; t < n; t++)
        {
            var row = cache.Row(batch.Tables[t], Layer, batch.Positions[t]);
            var latent = kv.AsSpan(t * (Rank + RopeDim), Rank);
            double meanSquare = 0;
            foreach (float v in latent)
            {
                meanSquare += (double)v * v / Rank;
            }

            double inverse = 1 / Math.Sqrt(meanSquare + Eps);
            for (int i = 0; i < Rank; i++)
            {
                Assert.InRange(Math.Abs(row[i] - (latent[i] * inverse * weight[i])), 0, Tolerance);
            }

            AssertRoped(kv.AsSpan((t * (Rank + RopeDim)) + Rank, RopeDim), row[Rank..], cos.AsSpan(t * pairs, pairs), sin.AsSpan(t * pairs, pairs));
            for (int h = 0; h < Heads; h++)
            {
                AssertRoped(query.AsSpan((((t * Heads) + h) * (Nope + RopeDim)) + Nope, RopeDim), queryRope.AsSpan(((t * Heads) + h) * RopeDim, RopeDim),
                    cos.AsSpan(t * pairs, pairs), sin.AsSpan(t * pairs, pairs));
            }
        }

        static void AssertRoped(ReadOnlySpan<float> source, ReadOnlySpan<float> roped, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
        {
            for (int i = 0; i < cos.Length; i++)
            {
                Assert.Equal((source[2 * i] * cos[i]) - (source[(2 * i) + 1] * sin[i]), roped[2 * i], 5);
                Assert.Equal((source[2 * i] * sin[i]) + (source[(2 * i) + 1] * cos[i]), roped[(2 * i) + 1], 5);
            }
        }
    }

    [Theory]
    [MemberData(nameof(AttentionBatches))]
    public void LatentAttention_MatchesDefinition(int[] tokens, int[] starts, int threads, int heads, int blockSize)
    {
        const int Rank = 64, RopeDim = 16, Layer = 1;
        const float Scale = 0.125f;
        int blocks = tokens.Select((count, s) => ((starts[s] + count) / blockSize) + 1).Sum();
        var cache = new KvCache(2, Rank, RopeDim, blockSize, blocks);
        var allocator = new KvBlockAllocator(cache);
        var batch = new ForwardBatch(cache);
        int seed = 100;
        for (int s = 0; s < tokens.Length; s++)
        {
            var table = new KvBlockTable();
            allocator.EnsureCapacity(table, starts[s] + tokens[s]);
            for (int p = 0; p < starts[s] + tokens[s]; p++)
            {
                Random(Rank + RopeDim, seed++).CopyTo(cache.Row(table, Layer, p));
            }

            batch.AddSequence(table, new int[tokens[s]], starts[s], wantLogits: false);
        }

        int n = batch.Count;
        var qLatent = Random(n * heads * Rank, seed: 7);
        var qRope = Random(n * heads * RopeDim, seed: 8);
        var output = new float[n * heads * Rank];
        using var backend = new CpuBackend(threads);

        backend.LatentAttention(qLatent, qRope, heads, batch, Layer, Scale, output);

        // Definition: softmax over positions 0..pos of (q_latent·latent_p + q_rope·rope_p)·scale, then Σ p·latent_p.
        var expected = new double[n * heads * Rank];
        for (int t = 0; t < n; t++)
        {
            for (int h = 0; h < heads; h++)
            {
                int item = (t * heads) + h, keys = batch.Positions[t] + 1;
                var scores = new double[keys];
                for (int p = 0; p < keys; p++)
                {
                    var row = cache.Row(batch.Tables[t], Layer, p);
                    double dot = 0;
                    for (int d = 0; d < Rank; d++)
                    {
                        dot += qLatent[(item * Rank) + d] * row[d];
                    }

                    for (int d = 0; d < RopeDim; d++)
                    {
                        dot += qRope[(item * RopeDim) + d] * row[Rank + d];
                    }

                    scores[p] = dot * Scale;
                }

                double max = scores.Max(), sum = scores.Sum(v => Math.Exp(v - max));
                for (int p = 0; p < keys; p++)
                {
                    var row = cache.Row(batch.Tables[t], Layer, p);
                    double weight = Math.Exp(scores[p] - max) / sum;
                    for (int d = 0; d < Rank; d++)
                    {
                        expected[(item * Rank) + d] += weight * row[d];
                    }
                }
            }
        }

        Assert.InRange(MaxDifference(output, [.. expected.Select(v => (float)v)]), 0, 1e-5f);
    }

    [Fact]
    public void Rope_RotatesInterleavedPairs()
    {
        float[] x = [1, 2, 3, 4];
        AttentionRowsJob.Rope(x, [0f, 1f], [1f, 0f]);

        // Pair 0 by 90°: (1, 2) → (−2, 1); pair 1 by 0°: unchanged.
        Assert.Equal([-2f, 1f, 3f, 4f], x);
    }

    [Fact]
    public void Embedding_TokenOutsideVocabulary_Throws()
    {
        using var weight = TestWeight.Create(WeightFormat.BF16, 10, 4, seed: 7);
        using var backend = new CpuBackend();
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.Embedding(weight.Matrix, [10], new float[4]));
    }

    internal static float[] Random(int count, int seed)
    {
        var random = new DeterministicRandom((ulong)seed);
        return [.. Enumerable.Range(0, count).Select(_ => random.NextSigned())];
    }

    private static float MaxDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            max = MathF.Max(max, MathF.Abs(a[i] - b[i]));
        }

        return max;
    }

    /// <summary>A weight in pinned native memory, in any stored format.</summary>
    internal sealed class TestWeight : IDisposable
    {
        private readonly void* _data;
        private readonly float* _scales;

        private TestWeight(WeightMatrix matrix, void* data, float* scales)
        {
            Matrix = matrix;
            _data = data;
            _scales = scales;
        }

        public WeightMatrix Matrix { get; }

        public static TestWeight Create(WeightFormat format, int rows, int columns, int seed)
        {
            var values = Random(rows * columns, seed);
            switch (format)
            {
                case WeightFormat.F32:
                {
                    var data = (float*)NativeMemory.Alloc((nuint)values.Length, 4);
                    values.CopyTo(new Span<float>(data, values.Length));
                    return new TestWeight(new WeightMatrix(format, rows, columns, data), data, null);
                }

                case WeightFormat.BF16:
                {
                    var data = (ushort*)NativeMemory.Alloc((nuint)values.Length, 2);
                    for (int i = 0; i < values.Length; i++)
                    {
                        data[i] = BFloat16.FromSingle(values[i]);
                    }

                    return new TestWeight(new WeightMatrix(format, rows, columns, data), data, null);
                }

                default:
                {
                    // Blocks of 1, 1/2 and 1/4 the magnitude: with every block's values drawn alike, all scales would be
                    // nearly equal and a kernel applying a neighbour block's scale would still pass.
                    for (int i = 0; i < values.Length; i++)
                    {
                        values[i] /= 1 << (((i / columns / 128 * 2) + (i % columns / 128)) % 3);
                    }

                    var scaleValues = Fp8BlockQuantizer.Scales(values, rows, columns, 128, 128);
                    var codes = Fp8BlockQuantizer.Codes(values, rows, columns, 128, 128, scaleValues);
                    var data = (byte*)NativeMemory.Alloc((nuint)codes.Length);
                    codes.CopyTo(new Span<byte>(data, codes.Length));
                    var scales = (float*)NativeMemory.Alloc((nuint)scaleValues.Length, 4);
                    scaleValues.CopyTo(new Span<float>(scales, scaleValues.Length));
                    return new TestWeight(new WeightMatrix(format, rows, columns, data, scales), data, scales);
                }
            }
        }

        public void Dispose()
        {
            NativeMemory.Free(_data);
            NativeMemory.Free(_scales);
        }
    }
}
