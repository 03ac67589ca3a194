namespace DeepSeekV3.Inference.Model;

/// <summary>model.py <c>attn_impl</c>: how MLA computes attention over the cached latent.</summary>
public enum AttentionForm
{
    /// <summary>W_UK folded into the query, attention in the latent space, W_UV after (the reference default).</summary>
    Absorbed,

    /// <summary>k_nope and v re-expanded from every cached latent through kv_b_proj; the slow reference form.</summary>
    Naive,
}
