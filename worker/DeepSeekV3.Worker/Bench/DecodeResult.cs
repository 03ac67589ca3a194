namespace DeepSeekV3.Worker.Bench;

/// <summary>
/// Greedy decode steps of <paramref name="Batch"/> sequences: speed, the weight bytes each token must stream (the
/// step's weights over the batch), the bytes the runtime allocated per token at steady state, and, when the bench
/// probed the memory around each window, the windows against the bandwidth of their own moment.
/// </summary>
public sealed record DecodeResult(int Batch, double TokensPerSecond, double WeightBytesPerToken, double AllocatedBytesPerToken,
    PairedBandwidth? Paired = null)
{
    public double BytesPerSecond => WeightBytesPerToken * TokensPerSecond;
}
