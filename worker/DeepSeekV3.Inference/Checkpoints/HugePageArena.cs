using System.Runtime.InteropServices;

namespace DeepSeekV3.Inference.Checkpoints;

/// <summary>
/// Anonymous memory in 2 MiB-aligned chunks that Linux is asked to back with transparent huge pages, for weights
/// copied out of a memory-mapped checkpoint. A mapped file gets 4 KiB pages: a batch-1 decode step streams every
/// weight once, so it walks a new page every 4 KiB and misses the TLB there; on 2 MiB pages that happens 512 times
/// less often (on the 2-core Zen 5 VM the bench runs on, batch-1 decode of the small preset was 5-13% faster).
/// Tensors are packed one after another, each starting on a cache line; a tensor larger than a quarter chunk gets
/// its own allocation so the chunks' tails waste little.
/// </summary>
public sealed unsafe partial class HugePageArena : IDisposable
{
    public const long HugePageBytes = 2L << 20;

    private const long ChunkBytes = 64L << 20;
    private const long OwnAllocationBytes = ChunkBytes / 4;
    private const long TensorAlignment = 64;

    // include/uapi/asm-generic/mman-common.h: MADV_HUGEPAGE. The kernel honours it when
    // /sys/kernel/mm/transparent_hugepage/enabled is "always" or "madvise" (its usual default).
    private const int MadviseHugePage = 14;

    private readonly List<nint> _allocations = [];
    private readonly Lock _lock = new();
    private byte* _next;
    private long _left;
    private bool _disposed;

    /// <summary>Bytes copied in so far.</summary>
    public long BytesCopied { get; private set; }

    /// <summary>Bytes of memory reserved (chunks and own allocations, whole huge pages).</summary>
    public long BytesReserved { get; private set; }

    /// <summary>
    /// Whether copying helps here: Linux with transparent huge pages not switched off. Elsewhere a copy would only
    /// cost memory, so callers keep the mapping.
    /// </summary>
    public static bool IsUseful => OperatingSystem.IsLinux() && TransparentHugePagesEnabled();

    /// <summary>Copies <paramref name="length"/> bytes into the arena and returns where they now live (until disposed).</summary>
    public byte* Copy(byte* source, long length)
    {
        byte* target = Allocate(length);
        lock (_lock)
        {
            BytesCopied += length;
        }

        Buffer.MemoryCopy(source, target, length, length);
        return target;
    }

    /// <summary><paramref name="length"/> bytes of uninitialized arena memory on a cache-line boundary (until disposed).</summary>
    public byte* Allocate(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return Reserve(length);
        }
    }

    /// <summary>
    /// Bytes of this process's anonymous memory the kernel has actually placed on huge pages (AnonHugePages of
    /// /proc/self/smaps_rollup), or null where the kernel does not say.
    /// </summary>
    public static long? ProcessHugePageBytes()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/smaps_rollup"))
            {
                if (line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
                {
                    string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return null;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _allocations.ForEach(a => NativeMemory.AlignedFree((void*)a));
            _allocations.Clear();
            _left = 0;
        }
    }

    private byte* Reserve(long length)
    {
        long padded = RoundUp(Math.Max(length, 1), TensorAlignment);
        if (padded > OwnAllocationBytes)
        {
            return AllocateAligned(RoundUp(padded, HugePageBytes));
        }

        if (padded > _left)
        {
            _next = AllocateAligned(ChunkBytes);
            _left = ChunkBytes;
        }

        byte* target = _next;
        _next += padded;
        _left -= padded;
        return target;
    }

    private byte* AllocateAligned(long bytes)
    {
        byte* memory = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, (nuint)HugePageBytes);
        _allocations.Add((nint)memory);
        BytesReserved += bytes;
        if (OperatingSystem.IsLinux())
        {
            // Advice only: where the kernel refuses it (THP compiled out) the memory still works on 4 KiB pages.
            _ = Madvise(memory, (nuint)bytes, MadviseHugePage);
        }

        return memory;
    }

    private static long RoundUp(long value, long multiple) => (value + multiple - 1) / multiple * multiple;

    private static bool TransparentHugePagesEnabled()
    {
        try
        {
            // Documentation/admin-guide/mm/transhuge.rst: the selected mode is the bracketed word.
            string modes = File.ReadAllText("/sys/kernel/mm/transparent_hugepage/enabled");
            return modes.Contains("[always]", StringComparison.Ordinal) || modes.Contains("[madvise]", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);
}
