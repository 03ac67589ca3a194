namespace DeepSeekV3.Worker.Bench;

/// <summary>
/// Greedy decode steps of <paramref name="Batch"/> sequences: speed, the weight bytes each token must stream (the
/// step's weights over the batch), and the bytes the runtime allocated per token at steady state.
/// </summary>
public sealed record DecodeResult(int Batch, double TokensPerSecond, double WeightBytesPerToken, double AllocatedBytesPerToken)
{
    public double BytesPerSecond => WeightBytesPerToken * TokensPerSecond;
}
