using System.Runtime.Intrinsics;

namespace DeepSeekV3.Inference.Compute;

/// <summary>How <see cref="FusedGemvKernel"/> turns stored weight codes into float32: 16 at a time, or one.</summary>
internal unsafe interface IWeightDecoder
{
    static abstract int BytesPerWeight { get; }

    static abstract Vector512<float> Load16(byte* codes);

    static abstract float Load1(byte* code);
}
