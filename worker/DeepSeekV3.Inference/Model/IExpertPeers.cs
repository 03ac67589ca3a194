namespace DeepSeekV3.Inference.Model;

/// <summary>
/// The other ranks of an expert-parallel group, as the MoE layer sees them: the routed experts this process does not
/// hold are computed where they live. The in-process model (one rank) has none, so it stays free of networking.
/// </summary>
public interface IExpertPeers
{
    /// <summary>
    /// output[t] += Σ weight · expert(normed[t]) over token t's routed slots computed elsewhere: <paramref name="routedExperts"/>
    /// holds <paramref name="k"/> slots per token, -1 for the slots this rank computed itself.
    /// Returns when every peer has answered; a peer that cannot answer throws (the step fails cleanly).
    /// </summary>
    void AddRemoteExperts(int layer, ReadOnlySpan<float> normed, int tokens, ReadOnlySpan<int> routedExperts,
        ReadOnlySpan<float> routedWeights, int k, Span<float> output);
}
