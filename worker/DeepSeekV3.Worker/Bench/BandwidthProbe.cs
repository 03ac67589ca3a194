using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Worker.Bench;

/// <summary>
/// Memory bandwidth with every thread the engine uses, one run per call: STREAM's triad (a = b + s·c; 12 bytes per float
/// element counted, as STREAM counts) written two ways, and a pure read (the access pattern of decoding: weights streamed
/// once). The triad with non-temporal stores is the bench's bandwidth roofline, as it has been since session 1
/// (TensorPrimitives.MultiplyAdd streams its stores for spans over 256 KB): what STREAM reports when its stores are
/// streamed. The triad with ordinary stores is STREAM as its C source compiles with gcc or clang: each store first reads
/// its line (write-allocate), so it moves 16 bytes per element and STREAM counts 12, and it reports less than the memory
/// moved. On the Zen 4 host of 2026-12-07 (six alternating rounds with the real stream.c, gcc -O3 -fopenmp, 2 threads,
/// whose triad read 29.9–43.4 GB/s): ordinary stores 24.9–34.9 GB/s, non-temporal 37.5–44.8, read 29.1–39.2 — a read-only
/// stream there mostly beat the ordinary-store triad and stayed below the non-temporal one, so the non-temporal triad is
/// the stricter bound and the one decode is judged against. The arrays are on huge pages wherever Linux offers them, as the
/// model's weights are by default (<see cref="HugePageArena"/>): the limit is what the machine can do, and a stream over
/// 4 KiB pages misses the TLB 512 times as often. One run takes a few milliseconds, so a benchmark can probe right
/// before and after each of its own windows (<see cref="PairedBandwidth"/>): on a shared host the bandwidth moves by
/// half from one second to the next.
/// </summary>
public sealed partial class BandwidthProbe : IDisposable
{
    private const int Elements = 24 * 1024 * 1024; // 96 MiB per array: far beyond any last-level cache
    private const float TriadScalar = 3f;

    private readonly int _threads;
    private readonly WorkerPool _pool;
    private readonly HugePageArena? _arena;
    private readonly TriadJob _triad;
    private readonly TriadJob _triadOrdinaryStores;
    private readonly ReadJob _read;
    private readonly ReadJob _readPrefetching;
    private readonly FloatArray[] _patternSources;
    private int _nextPatternSource;

    public BandwidthProbe(int threads)
    {
        _threads = threads;
        _pool = new WorkerPool(threads);
        _arena = HugePageArena.IsUseful ? new HugePageArena() : null;
        var arrays = new TriadArrays(Elements, _arena);
        _pool.Run(new FillJob(arrays, threads), threads); // first touch by the threads that use them
        _triad = new TriadJob(arrays, threads, nonTemporal: true);
        _triadOrdinaryStores = new TriadJob(arrays, threads, nonTemporal: false);
        _read = new ReadJob(arrays.B, threads, prefetch: false);
        _readPrefetching = new ReadJob(arrays.B, threads, prefetch: true);
        _patternSources = [arrays.A, arrays.B, arrays.C];
    }

    /// <summary>One triad run with non-temporal stores (the roofline), in bytes per second as STREAM counts them.</summary>
    public double TriadBytesPerSecond() => 12.0 * Elements / Time(_triad);

    /// <summary>One triad run with ordinary stores (stream.c as gcc builds it), in bytes per second as STREAM counts them.</summary>
    public double TriadOrdinaryStoresBytesPerSecond() => 12.0 * Elements / Time(_triadOrdinaryStores);

    /// <summary>
    /// One array read once by the hardware prefetcher alone and once with software prefetch ahead of it, in bytes per
    /// second, the faster of the two: which one reads faster depends on the processor (the same choice the batch-1
    /// kernels make, WeightPrefetch), and the limit is what the better pattern reaches.
    /// </summary>
    public double ReadBytesPerSecond() => 4.0 * Elements / Math.Min(Time(_read), Time(_readPrefetching));

    /// <summary>One run of each probe, as a benchmark takes them around a window.</summary>
    public BandwidthSample Sample() => new(TriadBytesPerSecond(), TriadOrdinaryStoresBytesPerSecond(), ReadBytesPerSecond());

    public void Dispose()
    {
        _pool.Dispose();
        _arena?.Dispose();
    }

    /// <summary>
    /// a[i] = b[i] + scalar·c[i], stored either way. Non-temporal stores need aligned addresses, so the elements before
    /// the first vector-aligned one are stored one by one; the fence makes the streamed stores visible in order to
    /// whatever runs next (they are weakly ordered).
    /// </summary>
    internal static unsafe void Triad(ReadOnlySpan<float> b, ReadOnlySpan<float> c, float scalar, Span<float> a, bool nonTemporal)
    {
        if (b.Length != a.Length || c.Length != a.Length)
        {
            throw new ArgumentException("The triad's three arrays must be of one length.");
        }

        fixed (float* pa = a, pb = b, pc = c)
        {
            int n = a.Length, i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var s = Vector512.Create(scalar);
                for (; nonTemporal && i < n && ((nuint)(pa + i) % 64) != 0; i++)
                {
                    pa[i] = pb[i] + (scalar * pc[i]);
                }

                for (; i <= n - 16; i += 16)
                {
                    var v = Vector512.FusedMultiplyAdd(Vector512.Load(pc + i), s, Vector512.Load(pb + i));
                    if (nonTemporal)
                    {
                        Vector512.StoreAlignedNonTemporal(v, pa + i);
                    }
                    else
                    {
                        Vector512.Store(v, pa + i);
                    }
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                var s = Vector256.Create(scalar);
                for (; nonTemporal && i < n && ((nuint)(pa + i) % 32) != 0; i++)
                {
                    pa[i] = pb[i] + (scalar * pc[i]);
                }

                for (; i <= n - 8; i += 8)
                {
                    var v = Vector256.FusedMultiplyAdd(Vector256.Load(pc + i), s, Vector256.Load(pb + i));
                    if (nonTemporal)
                    {
                        Vector256.StoreAlignedNonTemporal(v, pa + i);
                    }
                    else
                    {
                        Vector256.Store(v, pa + i);
                    }
                }
            }

            for (; i < n; i++)
            {
                pa[i] = pb[i] + (scalar * pc[i]);
            }

            if (nonTemporal && Sse.IsSupported)
            {
                Sse.StoreFence();
            }
        }
    }

    private double Time(IParallelJob job)
    {
        long start = Stopwatch.GetTimestamp();
        _pool.Run(job, _threads);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>The triad's three arrays of <paramref name="elements"/> floats, in <paramref name="arena"/> when given, else on the heap.</summary>
    private sealed class TriadArrays(int elements, HugePageArena? arena)
    {
        public FloatArray A { get; } = new(elements, arena);

        public FloatArray B { get; } = new(elements, arena);

        public FloatArray C { get; } = new(elements, arena);

        public int Length => elements;
    }

    /// <summary>
    /// Writes every page of the arrays once: arrays fresh from the OS read as its one shared zero page, which stays in
    /// cache, so a read of them would measure the cache, not memory.
    /// </summary>
    private sealed class FillJob(TriadArrays arrays, int tasks) : IParallelJob
    {
        public void Execute(int task)
        {
            var (start, length) = Slice(arrays.Length, tasks, task);
            arrays.B.AsSpan(start, length).Fill(1f);
            arrays.C.AsSpan(start, length).Fill(2f);
            arrays.A.AsSpan(start, length).Fill(3f);
        }
    }

    private sealed class TriadJob(TriadArrays arrays, int tasks, bool nonTemporal) : IParallelJob
    {
        public void Execute(int task)
        {
            var (start, length) = Slice(arrays.Length, tasks, task);
            Triad(arrays.B.AsSpan(start, length), arrays.C.AsSpan(start, length), TriadScalar, arrays.A.AsSpan(start, length), nonTemporal);
        }
    }

    /// <summary>Floats in huge-page memory (owned by the arena) or a heap array.</summary>
    private sealed unsafe class FloatArray(int elements, HugePageArena? arena)
    {
        private readonly float[]? _heap = arena is null ? new float[elements] : null;
        private readonly float* _placed = arena is null ? null : (float*)arena.Allocate((long)elements * sizeof(float));

        public int Length => elements;

        public Span<float> AsSpan(int start, int length) =>
            _heap is not null ? _heap.AsSpan(start, length) : new Span<float>(_placed + start, length);
    }

    /// <summary>The read loop compiled with and without its prefetch (a type argument, so the JIT folds the test away).</summary>
    private interface IPrefetchMode
    {
        static abstract bool On { get; }
    }

    private readonly struct Prefetching : IPrefetchMode
    {
        public static bool On => true;
    }

    private readonly struct NotPrefetching : IPrefetchMode
    {
        public static bool On => false;
    }

    private sealed class ReadJob(FloatArray source, int tasks, bool prefetch) : IParallelJob
    {
        private readonly float[] _sums = new float[tasks];

        public void Execute(int task)
        {
            var (start, length) = Slice(source.Length, tasks, task);
            _sums[task] = prefetch ? Sum<Prefetching>(source.AsSpan(start, length)) : Sum<NotPrefetching>(source.AsSpan(start, length));
        }

        /// <summary>
        /// Requests the <paramref name="lines"/> cache lines 4 KB past values[i] non-temporally, as the batch-1 kernels do
        /// where it helps (WeightPrefetch.StreamAhead): on the Zen 5 development host a stream read that way outran the
        /// hardware prefetcher alone in most memory phases, so without it the probe reported less than the kernels
        /// reached; on a Zen 4 host the hardware prefetcher alone read faster, hence both patterns. A copy of
        /// that helper's few lines rather than a call: this loop does nothing but load and add, and through the helper
        /// (its runtime switch and byte-count loop) the probe read 38-43 GB/s where this reads 74-80 (3 alternating runs).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe void PrefetchAhead<TMode>(ref float first, int i, int lines)
            where TMode : IPrefetchMode
        {
            if (!TMode.On || !Sse.IsSupported)
            {
                return;
            }

            // A prefetch never faults, so an address the collector has since moved costs nothing (the arrays are large
            // objects, which it does not move anyway).
            byte* at = (byte*)Unsafe.AsPointer(ref Unsafe.Add(ref first, i)) + 4096;
            for (int line = 0; line < lines; line++)
            {
                Sse.PrefetchNonTemporal(at + (64 * line));
            }
        }

        /// <summary>
        /// Four independent 512-bit (or 256-bit) accumulators, so the adds never wait on each other: the loop is bound
        /// by how fast memory delivers, not by add latency (one accumulator would cap a core near 50 GB/s).
        /// </summary>
        private static float Sum<TMode>(ReadOnlySpan<float> values)
            where TMode : IPrefetchMode
        {
            ref float first = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(values);
            int i = 0;
            float total = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
                for (; i <= values.Length - 64; i += 64)
                {
                    PrefetchAhead<TMode>(ref first, i, 4);
                    s0 += Vector512.LoadUnsafe(ref first, (nuint)i);
                    s1 += Vector512.LoadUnsafe(ref first, (nuint)(i + 16));
                    s2 += Vector512.LoadUnsafe(ref first, (nuint)(i + 32));
                    s3 += Vector512.LoadUnsafe(ref first, (nuint)(i + 48));
                }

                total = Vector512.Sum(s0 + s1 + s2 + s3);
            }
            else
            {
                Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
                for (; i <= values.Length - 32; i += 32)
                {
                    PrefetchAhead<TMode>(ref first, i, 2);
                    s0 += Vector256.LoadUnsafe(ref first, (nuint)i);
                    s1 += Vector256.LoadUnsafe(ref first, (nuint)(i + 8));
                    s2 += Vector256.LoadUnsafe(ref first, (nuint)(i + 16));
                    s3 += Vector256.LoadUnsafe(ref first, (nuint)(i + 24));
                }

                total = Vector256.Sum(s0 + s1 + s2 + s3);
            }

            for (; i < values.Length; i++)
            {
                total += values[i];
            }

            return total;
        }
    }

    private static (int Start, int Length) Slice(int total, int tasks, int task)
    {
        int start = (int)((long)total * task / tasks);
        return (start, (int)((long)total * (task + 1) / tasks) - start);
    }
}
