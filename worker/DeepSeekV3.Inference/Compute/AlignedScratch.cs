using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// Float scratch (a thread's, or a backend's) that starts on a 64-byte boundary. Managed arrays start 16 bytes past an
/// 8-byte aligned header, so most 64-byte vector loads from one would straddle two cache lines and cost two loads,
/// which the kernels streaming their packed operands from L1/L2 feel. The array is pinned (it never moves), so the
/// alignment, and any pointer taken into it, holds for the array's lifetime.
/// </summary>
internal static unsafe class AlignedScratch
{
    private const int AlignmentFloats = 16;

    /// <summary>
    /// At least <paramref name="length"/> floats of <paramref name="buffer"/>, starting 64-byte aligned; the buffer grows (to
    /// at least twice its old size: prefill steps grow it in small increments) when too small. Contents are undefined.
    /// A span (not a pointer), so memory handed out before a growth stays alive while a caller still holds it.
    /// </summary>
    public static Span<float> Get(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length + AlignmentFloats)
        {
            buffer = GC.AllocateUninitializedArray<float>(Math.Max(length + AlignmentFloats, 2 * (buffer?.Length ?? 2048)), pinned: true);
        }

        nint start = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        int offset = (int)((64 - (start & 63)) & 63) / sizeof(float);
        return buffer.AsSpan(offset, length);
    }
}
