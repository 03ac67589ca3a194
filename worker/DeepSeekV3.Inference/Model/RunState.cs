namespace DeepSeekV3.Inference.Model;

/// <summary>
/// Every activation buffer of a forward step, sized for <see cref="Capacity"/> tokens and reused: a step that
/// fits allocates nothing. Shapes are per step (T = tokens in the step). Grows only when a larger step arrives.
/// </summary>
public sealed class RunState
{
    private readonly ModelConfig _config;

    public RunState(ModelConfig config, int capacityTokens = 16)
    {
        _config = config;
        Allocate(capacityTokens);
    }

    public int Capacity { get; private set; }

    public float[] Hidden { get; private set; } = [];        // [T, hidden] the residual stream
    public float[] Normed { get; private set; } = [];        // [T, hidden] RMSNorm of the residual
    public float[] LayerOut { get; private set; } = [];      // [T, hidden] attention or FFN output before the residual add
    public float[] RopeCos { get; private set; } = [];       // [T, rope/2]
    public float[] RopeSin { get; private set; } = [];       // [T, rope/2]

    public float[] QueryLowRank { get; private set; } = [];  // [T, q_lora_rank]
    public float[] Query { get; private set; } = [];         // [T, heads, nope + rope]
    public float[] KvLowRank { get; private set; } = [];     // [T, kv_lora_rank + rope] = [c | k_pe]
    public float[] HeadNope { get; private set; } = [];      // [heads, T ≤ 16, nope] decode steps' q_nope per head
    public float[] HeadLatent { get; private set; } = [];    // [heads, T ≤ 16, kv_lora_rank] their absorbed queries or outputs
    public float[] HeadValue { get; private set; } = [];     // [heads, T ≤ 16, v] their value outputs
    public float[] QueryLatent { get; private set; } = [];   // [T, heads, kv_lora_rank] q_nope · W_UK
    public float[] QueryRope { get; private set; } = [];     // [T, heads, rope] roped q_pe
    public float[] OutputLatent { get; private set; } = [];  // [T, heads, kv_lora_rank] attention in latent space
    public float[] AttentionHeads { get; private set; } = []; // [T, heads, v] before o_proj

    public float[] MlpGate { get; private set; } = [];       // [T, max(inter, (k + shared)·moe_inter)]
    public float[] MlpUp { get; private set; } = [];         // [T, max(inter, (k + shared)·moe_inter)]
    public float[] ExpertInput { get; private set; } = [];   // [T·k, hidden] routed slots gathered by expert
    public float[] ExpertOutput { get; private set; } = [];  // [T·(k + 1), hidden] routed slots, then the shared experts
    public float[] GateScores { get; private set; } = [];    // [T, n_routed_experts] sigmoid scores
    public int[] RoutedExperts { get; private set; } = [];   // [T, experts_per_tok]

    public int[] RemoteExperts { get; private set; } = [];   // [T, experts_per_tok] the routed experts held elsewhere, -1 for local ones
    public float[] RoutedWeights { get; private set; } = []; // [T, experts_per_tok]
    public int[] ExpertTokens { get; private set; } = [];    // [T·experts_per_tok] token index per routed slot, grouped by expert
    public float[] ExpertTokenWeights { get; private set; } = []; // [T·experts_per_tok] the slot's combine weight
    public int[] SlotPositions { get; private set; } = [];   // [T, experts_per_tok] each slot's row among the grouped ones, in expert order; -1 if not run here

    public void EnsureCapacity(int tokens)
    {
        if (tokens > Capacity)
        {
            Allocate(Math.Max(tokens, Capacity * 2));
        }
    }

    private void Allocate(int t)
    {
        var c = _config;
        int heads = c.NumAttentionHeads;
        // MoE rows: n·k routed slots of moe_intermediate, then n rows of the shared experts.
        int mlp = Math.Max(c.IntermediateSize, (c.NumExpertsPerTok + Math.Max(c.NSharedExperts, 1)) * c.MoeIntermediateSize);
        int expertRows = c.NumExpertsPerTok + 1;
        Capacity = t;
        Hidden = new float[t * c.HiddenSize];
        Normed = new float[t * c.HiddenSize];
        LayerOut = new float[t * c.HiddenSize];
        RopeCos = new float[t * c.QkRopeHeadDim / 2];
        RopeSin = new float[t * c.QkRopeHeadDim / 2];
        QueryLowRank = new float[t * c.QLoraRank];
        Query = new float[t * heads * c.QkHeadDim];
        KvLowRank = new float[t * (c.KvLoraRank + c.QkRopeHeadDim)];
        // Every head's rows of a decode-sized step (Mla.GroupedHeadTokens); longer ones work in place.
        int headRows = heads * Math.Min(t, Mla.GroupedHeadTokens);
        HeadNope = new float[headRows * c.QkNopeHeadDim];
        HeadLatent = new float[headRows * c.KvLoraRank];
        HeadValue = new float[headRows * c.VHeadDim];
        QueryLatent = new float[t * heads * c.KvLoraRank];
        QueryRope = new float[t * heads * c.QkRopeHeadDim];
        OutputLatent = new float[t * heads * c.KvLoraRank];
        AttentionHeads = new float[t * heads * c.VHeadDim];
        MlpGate = new float[t * mlp];
        MlpUp = new float[t * mlp];
        ExpertInput = new float[t * expertRows * c.HiddenSize];
        ExpertOutput = new float[t * expertRows * c.HiddenSize];
        GateScores = new float[t * c.NRoutedExperts];
        RoutedExperts = new int[t * c.NumExpertsPerTok];
        RemoteExperts = new int[t * c.NumExpertsPerTok];
        RoutedWeights = new float[t * c.NumExpertsPerTok];
        ExpertTokens = new int[t * c.NumExpertsPerTok];
        ExpertTokenWeights = new float[t * c.NumExpertsPerTok];
        SlotPositions = new int[t * c.NumExpertsPerTok];
    }
}
