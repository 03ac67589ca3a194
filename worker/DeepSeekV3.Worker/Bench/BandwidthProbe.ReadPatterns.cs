using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Worker.Bench;

/// <summary>How a read pattern asks for lines ahead of its streams, if at all.</summary>
public enum ReadPrefetch
{
    /// <summary>The hardware prefetcher alone.</summary>
    None,

    /// <summary>Each line 4 KB ahead, non-temporally (prefetchnta), as the batch-1 kernels do where it helps.</summary>
    NonTemporal4K,

    /// <summary>Each line 16 KB ahead into L2 (prefetcht1), as wide rows do on Zen 4.</summary>
    IntoL2At16K,
}

/// <summary>
/// One way of reading an array once with every thread: each thread's share cut into <see cref="Streams"/> equal parts
/// read side by side, 128 bytes of each part a step (two cache lines), prefetched as <see cref="Prefetch"/> says.
/// </summary>
public sealed record ReadPattern(int Streams, ReadPrefetch Prefetch)
{
    /// <summary>Streams 1, 2 and 4 a thread, each with every prefetch: the ways a decode kernel could walk its weights.</summary>
    public static IReadOnlyList<ReadPattern> All { get; } =
        [.. new[] { 1, 2, 4 }.SelectMany(streams => Enum.GetValues<ReadPrefetch>().Select(prefetch => new ReadPattern(streams, prefetch)))];

    public string Name => $"{Streams} stream{(Streams == 1 ? "" : "s")} a thread, " + Prefetch switch
    {
        ReadPrefetch.None => "hardware prefetch alone",
        ReadPrefetch.NonTemporal4K => "non-temporal 4 KB ahead",
        _ => "into L2 16 KB ahead",
    };
}

public sealed partial class BandwidthProbe
{
    /// <summary>
    /// One read of one of the probe's three arrays in <paramref name="pattern"/>, in bytes per second. Each call reads the
    /// next array in turn, so 192 MiB have passed through the caches since it was last read: reading one array again and
    /// again, a read right after another ran 5-10 % faster than the first of the row (the order of the patterns reversed,
    /// Zen 4 VM, 2026-12-07: the first pattern gained and the last lost), as some of it was still in the 32 MB L3.
    /// </summary>
    public double ReadBytesPerSecond(ReadPattern pattern)
    {
        var source = _patternSources[_nextPatternSource];
        _nextPatternSource = (_nextPatternSource + 1) % _patternSources.Length;
        return 4.0 * Elements / Time(new ReadPatternJob(source, _threads, pattern.Streams, pattern.Prefetch));
    }

    private sealed class ReadPatternJob(FloatArray source, int tasks, int streams, ReadPrefetch prefetch) : IParallelJob
    {
        private readonly float[] _sums = new float[tasks];

        public void Execute(int task)
        {
            var (start, length) = Slice(source.Length, tasks, task);
            _sums[task] = ReadPatternLoop.Sum(source.AsSpan(start, length), streams, prefetch);
        }
    }
}

/// <summary>The read loop of a <see cref="ReadPattern"/>, compiled once per prefetch.</summary>
internal static unsafe class ReadPatternLoop
{
    /// <summary>The sum of <paramref name="values"/>, read as the pattern reads them.</summary>
    internal static float Sum(ReadOnlySpan<float> values, int streams, ReadPrefetch prefetch)
    {
        fixed (float* at = values)
        {
            return prefetch switch
            {
                ReadPrefetch.None => Sum<NoPrefetch>(at, values.Length, streams),
                ReadPrefetch.NonTemporal4K => Sum<NonTemporalAhead>(at, values.Length, streams),
                _ => Sum<IntoL2Ahead>(at, values.Length, streams),
            };
        }
    }

    /// <summary>
    /// Sums the <paramref name="streams"/> parts side by side, 128 bytes (four 256-bit vectors: the width every x64
    /// vector unit loads whole) of each a step, then whatever the whole steps leave over.
    /// </summary>
    private static float Sum<TAhead>(float* values, int length, int streams)
        where TAhead : IAhead
    {
        const int Step = 32;
        int part = length / streams / Step * Step;
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        for (int i = 0; i < part; i += Step)
        {
            for (int stream = 0; stream < streams; stream++)
            {
                float* at = values + ((long)stream * part) + i;
                TAhead.Request((byte*)at);
                s0 += Vector256.Load(at);
                s1 += Vector256.Load(at + 8);
                s2 += Vector256.Load(at + 16);
                s3 += Vector256.Load(at + 24);
            }
        }

        float total = Vector256.Sum((s0 + s1) + (s2 + s3));
        for (long i = (long)streams * part; i < length; i++)
        {
            total += values[i];
        }

        return total;
    }

    /// <summary>The prefetch of one step's lines, a type argument so the JIT compiles each loop without the test.</summary>
    private unsafe interface IAhead
    {
        static abstract void Request(byte* at);
    }

    private readonly unsafe struct NoPrefetch : IAhead
    {
        public static void Request(byte* at)
        {
        }
    }

    private readonly unsafe struct NonTemporalAhead : IAhead
    {
        // A prefetch never faults, so asking past the end of the array is harmless.
        public static void Request(byte* at)
        {
            if (Sse.IsSupported)
            {
                Sse.PrefetchNonTemporal(at + 4096);
                Sse.PrefetchNonTemporal(at + 4096 + 64);
            }
        }
    }

    private readonly unsafe struct IntoL2Ahead : IAhead
    {
        public static void Request(byte* at)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch1(at + 16384);
                Sse.Prefetch1(at + 16384 + 64);
            }
        }
    }
}
