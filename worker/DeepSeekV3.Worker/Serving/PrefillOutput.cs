namespace DeepSeekV3.Worker.Serving;

/// <summary>
/// What a prefill hands to a decode worker: the MLA cache rows of every layer for the prompt's positions
/// ([layers][prompt, kv_lora_rank + qk_rope_head_dim]), the first sampled token and the usage so far.
/// </summary>
public sealed record PrefillOutput(float[][] LayerRows, int RowLength, SampledToken FirstToken, GenerationUsage Usage);
