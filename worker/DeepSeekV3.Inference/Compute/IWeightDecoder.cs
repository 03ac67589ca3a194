using System.Runtime.Intrinsics;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// How <see cref="FusedGemvKernel"/> turns stored weight codes into float32: 16 at a time, or one. A decoder may
/// return its values times a power of two when that saves instructions; the kernel multiplies finished sums by
/// <see cref="OutputScale"/> to undo it (and the caller multiplies the input by the decoder's input scale, if any).
/// </summary>
internal unsafe interface IWeightDecoder
{
    static abstract int BytesPerWeight { get; }

    /// <summary>The power of two finished sums are multiplied by (1 when the decoded values are exact).</summary>
    static abstract float OutputScale { get; }

    static abstract Vector512<float> Load16(byte* codes);

    static abstract float Load1(byte* code);
}
