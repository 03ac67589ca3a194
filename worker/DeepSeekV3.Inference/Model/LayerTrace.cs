namespace DeepSeekV3.Inference.Model;

/// <summary>
/// Copies of one layer's intermediate tensors for every token of a step, named like the golden
/// <c>debug_prompt0</c> entries, for bisecting a mismatch layer by layer.
/// </summary>
public sealed class LayerTrace
{
    public float[] AttnOut { get; set; } = [];        // [T, hidden] MLA output before the residual add
    public float[] FfnOut { get; set; } = [];         // [T, hidden] MLP/MoE output before the residual add
    public float[] BlockOut { get; set; } = [];       // [T, hidden] residual stream after the block
    public float[] KvCacheLatent { get; set; } = [];  // [T, kv_lora_rank] kv_a_layernorm(c)
    public float[] KvCacheRopeKey { get; set; } = []; // [T, rope] roped k_pe
    public int[]? RoutingExperts { get; set; }        // [T, experts_per_tok] MoE layers only
    public float[]? RoutingWeights { get; set; }      // [T, experts_per_tok] MoE layers only
}
