using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Inference.Model;
using Xunit.Abstractions;

namespace DeepSeekV3.Inference.Tests.Golden;

/// <summary>
/// The definition of "correct": logits, greedy tokens, batched runs and per-layer tensors of DeepSeek's reference
/// code on the tiny checkpoints of ../shared/golden, within the tolerances its README recommends for float32.
/// </summary>
public sealed class GoldenModelTests(ITestOutputHelper output)
{
    private const float LogitTolerance = 1e-4f;
    private const float HiddenTolerance = 1e-4f;
    private const float RoutingWeightTolerance = 1e-5f;

    public static TheoryData<string> Cases => new() { "tiny-bf16", "tiny-fp8" };

    /// <summary>Each case with its weights mapped and copied into huge pages (where the machine offers them; mapped elsewhere).</summary>
    public static TheoryData<string, WeightMemory> CasesInEachWeightMemory => new()
    {
        { "tiny-bf16", WeightMemory.Mapped },
        { "tiny-fp8", WeightMemory.Mapped },
        { "tiny-bf16", WeightMemory.HugePages },
        { "tiny-fp8", WeightMemory.HugePages },
    };

    [Theory]
    [MemberData(nameof(CasesInEachWeightMemory))]
    public void Generate_EachPromptAlone_MatchesReferenceLogitsAndGreedyTokens(string caseName, WeightMemory weightMemory)
    {
        var golden = GoldenCase.Load(caseName);
        using var checkpoint = Checkpoint.Open(golden.Directory, weightMemory);
        using var backend = new CpuBackend();
        var model = new Transformer(checkpoint, backend);
        var generator = new GreedyGenerator(model);
        float worst = 0;
        foreach (var prompt in golden.Expected.GetProperty("prompts").EnumerateArray())
        {
            var tokens = GoldenCase.Ints(prompt.GetProperty("tokens"));
            var result = generator.Generate([tokens], maxNewTokens: 9)[0];
            worst = MathF.Max(worst, CompareToPrompt(result, prompt));
        }

        output.WriteLine($"{caseName} ({checkpoint.WeightMemory}): max |Δlogit| over 4 prompts × (prefill + 8 decode steps) = {worst:E2}");
        Assert.InRange(worst, 0, LogitTolerance);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generate_AllPromptsAsOneBatch_MatchesSingleRunReference(string caseName)
    {
        var golden = GoldenCase.Load(caseName);
        using var checkpoint = Checkpoint.Open(golden.Directory);
        using var backend = new CpuBackend();
        var model = new Transformer(checkpoint, backend);
        var prompts = golden.Expected.GetProperty("prompts").EnumerateArray().ToArray();
        var results = new GreedyGenerator(model).Generate([.. prompts.Select(p => GoldenCase.Ints(p.GetProperty("tokens")))], 9);

        float worst = 0;
        for (int i = 0; i < prompts.Length; i++)
        {
            worst = MathF.Max(worst, CompareToPrompt(results[i], prompts[i]));
        }

        output.WriteLine($"{caseName}: batch of 4 prompts (lengths 7, 1, 33, 90), max |Δlogit| = {worst:E2}");
        Assert.InRange(worst, 0, LogitTolerance);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generate_ReferenceBatchCase_CompletionsEqualReference(string caseName)
    {
        var golden = GoldenCase.Load(caseName);
        var batch = golden.Expected.GetProperty("batch");
        using var checkpoint = Checkpoint.Open(golden.Directory);
        using var backend = new CpuBackend();
        var model = new Transformer(checkpoint, backend);
        var prompts = batch.GetProperty("prompts").EnumerateArray().Select(GoldenCase.Ints).ToArray();
        int maxNew = batch.GetProperty("max_new_tokens").GetInt32();

        var results = new GreedyGenerator(model).Generate(prompts, maxNew);

        var completions = batch.GetProperty("completions").EnumerateArray().Select(GoldenCase.Ints).ToArray();
        for (int row = 0; row < prompts.Length; row++)
        {
            Assert.Equal(completions[row], results[row].GreedyTokens);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_Prompt0Prefill_EveryLayerMatchesReferenceDebugTensors(string caseName)
    {
        var golden = GoldenCase.Load(caseName);
        var debug = golden.Expected.GetProperty("debug_prompt0");
        using var checkpoint = Checkpoint.Open(golden.Directory);
        using var backend = new CpuBackend();
        var model = new Transformer(checkpoint, backend);
        var tokens = GoldenCase.Ints(debug.GetProperty("tokens"));
        var cache = model.CreateKvCache(tokens.Length);
        var batch = new ForwardBatch(cache);
        var table = new KvBlockTable();
        new KvBlockAllocator(cache).EnsureCapacity(table, tokens.Length);
        batch.AddSequence(table, tokens, 0, wantLogits: true);
        var trace = new ForwardTrace();
        var logits = new float[model.Config.VocabSize];

        model.Forward(batch, new RunState(model.Config), logits, AttentionForm.Absorbed, trace);

        var differences = new Dictionary<string, float>
        {
            ["embed"] = GoldenCase.MaxAbsDifference(trace.Embed, GoldenCase.Floats(debug.GetProperty("embed"))),
            ["final_norm"] = GoldenCase.MaxAbsDifference(trace.FinalNorm, GoldenCase.Floats(debug.GetProperty("final_norm"))),
            ["logits"] = GoldenCase.MaxAbsDifference(logits, GoldenCase.Floats(debug.GetProperty("logits"))),
        };
        int k = model.Config.NumExpertsPerTok;
        foreach (var layer in debug.GetProperty("layers").EnumerateArray())
        {
            int index = layer.GetProperty("layer").GetInt32();
            var actual = trace.Layers[index];
            void Compare(string name, float[] values) => differences[$"layer{index}.{name}"] =
                GoldenCase.MaxAbsDifference(values, GoldenCase.Floats(layer.GetProperty(name)));
            Compare("attn_out", actual.AttnOut);
            Compare("ffn_out", actual.FfnOut);
            Compare("block_out", actual.BlockOut);
            Compare("kv_cache_latent", actual.KvCacheLatent);
            Compare("kv_cache_rope_key", actual.KvCacheRopeKey);
            if (layer.GetProperty("kind").GetString() == "moe")
            {
                var expectedExperts = layer.GetProperty("routing_experts").EnumerateArray().Select(GoldenCase.Ints).ToArray();
                var expectedWeights = layer.GetProperty("routing_weights").EnumerateArray().Select(GoldenCase.Floats).ToArray();
                float weightDifference = 0;
                for (int t = 0; t < tokens.Length; t++)
                {
                    var experts = actual.RoutingExperts!.AsSpan(t * k, k).ToArray();
                    // Compared as sets; weights are matched expert by expert.
                    Assert.Equal(expectedExperts[t].Order(), experts.Order());
                    for (int i = 0; i < k; i++)
                    {
                        int j = Array.IndexOf(experts, expectedExperts[t][i]);
                        weightDifference = MathF.Max(weightDifference,
                            MathF.Abs(actual.RoutingWeights![(t * k) + j] - expectedWeights[t][i]));
                    }
                }

                differences[$"layer{index}.routing_weights"] = weightDifference;
                Assert.InRange(weightDifference, 0, RoutingWeightTolerance);
            }
        }

        foreach (var (name, difference) in differences)
        {
            output.WriteLine($"{caseName} {name}: max |Δ| = {difference:E2}");
        }

        Assert.All(differences, pair => Assert.InRange(pair.Value, 0, HiddenTolerance));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generate_NaiveAttention_AgreesWithAbsorbedAndReference(string caseName)
    {
        var golden = GoldenCase.Load(caseName);
        using var checkpoint = Checkpoint.Open(golden.Directory);
        using var backend = new CpuBackend();
        var model = new Transformer(checkpoint, backend);
        var prompt = golden.Expected.GetProperty("prompts")[0];
        var tokens = GoldenCase.Ints(prompt.GetProperty("tokens"));
        var generator = new GreedyGenerator(model);

        var absorbed = generator.Generate([tokens], 4, AttentionForm.Absorbed)[0];
        var naive = generator.Generate([tokens], 4, AttentionForm.Naive)[0];

        float difference = GoldenCase.MaxAbsDifference(naive.PrefillLogits, absorbed.PrefillLogits);
        for (int step = 0; step < naive.Decode.Count; step++)
        {
            difference = MathF.Max(difference, GoldenCase.MaxAbsDifference(naive.Decode[step].Logits, absorbed.Decode[step].Logits));
        }

        output.WriteLine($"{caseName}: naive vs absorbed max |Δlogit| = {difference:E2}");
        Assert.InRange(difference, 0, 1e-5f);
        Assert.Equal(absorbed.GreedyTokens, naive.GreedyTokens);
        Assert.Equal(GoldenCase.Ints(prompt.GetProperty("greedy_tokens"))[..4], naive.GreedyTokens);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void YarnRope_DerivedValues_MatchReference(string caseName)
    {
        var golden = GoldenCase.Load(caseName);
        var derived = golden.Expected.GetProperty("derived");
        var rope = new YarnRope(ModelConfig.Load(golden.Directory));

        var expected = derived.GetProperty("rope_inv_freq").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(expected.Length, rope.InverseFrequencies.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], rope.InverseFrequencies[i], expected[i] * 1e-6);
        }

        Assert.Equal(derived.GetProperty("softmax_scale").GetDouble(), rope.SoftmaxScale, 1e-7);
    }

    private static float CompareToPrompt(GenerationResult result, System.Text.Json.JsonElement prompt)
    {
        float worst = GoldenCase.MaxAbsDifference(result.PrefillLogits, GoldenCase.Floats(prompt.GetProperty("prefill_logits")));
        var steps = prompt.GetProperty("decode").EnumerateArray().ToArray();
        Assert.Equal(steps.Length, result.Decode.Count);
        for (int i = 0; i < steps.Length; i++)
        {
            Assert.Equal(steps[i].GetProperty("position").GetInt32(), result.Decode[i].Position);
            Assert.Equal(steps[i].GetProperty("input_token").GetInt32(), result.Decode[i].InputToken);
            Assert.Equal(steps[i].GetProperty("argmax").GetInt32(), result.Decode[i].Argmax);
            worst = MathF.Max(worst, GoldenCase.MaxAbsDifference(result.Decode[i].Logits, GoldenCase.Floats(steps[i].GetProperty("logits"))));
        }

        Assert.Equal(GoldenCase.Ints(prompt.GetProperty("greedy_tokens")), result.GreedyTokens);
        return worst;
    }
}
