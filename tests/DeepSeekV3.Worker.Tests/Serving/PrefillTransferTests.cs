using DeepSeekV3.Worker.Serving;

namespace DeepSeekV3.Worker.Tests.Serving;

/// <summary>Disaggregation inside the engine: one engine prefills and exports the cache, another imports it and decodes.</summary>
public sealed class PrefillTransferTests
{
    [Fact]
    public async Task PrefillThenImport_EveryGoldenPrompt_GivesReferenceGreedyTokens()
    {
        using var prefill = new EngineFixture(new EngineOptions { KvCacheTokens = 512 });
        using var decode = new EngineFixture(new EngineOptions { KvCacheTokens = 512 });

        foreach (var (tokens, greedy) in GoldenData.Prompts("tiny-bf16"))
        {
            var request = new GenerationRequest(Guid.NewGuid().ToString("N"), tokens, EngineFixture.Greedy(9));
            var output = await prefill.Engine.PrefillAsync(request);
            var generated = new List<int>();
            await foreach (var item in decode.Engine.SubmitPrefilled(request, output).ReadAllAsync())
            {
                if (item.Token is { } token)
                {
                    generated.Add(token.TokenId);
                }
            }

            Assert.Equal(greedy[0], output.FirstToken.TokenId);
            Assert.Equal(greedy, generated);
        }

        // Both engines end with every block free (prefix blocks stay cached but unreferenced).
        Assert.Equal((await prefill.IdleStatsAsync()).TotalBlocks, (await prefill.IdleStatsAsync()).FreeBlocks);
        Assert.Equal((await decode.IdleStatsAsync()).TotalBlocks, (await decode.IdleStatsAsync()).FreeBlocks);
    }

    [Fact]
    public async Task Prefill_RepeatedPrompt_ReportsContextCacheHits()
    {
        using var prefill = new EngineFixture(new EngineOptions { KvCacheTokens = 512 });
        int[] prompt = [.. Enumerable.Range(10, 40)];

        var first = await prefill.Engine.PrefillAsync(new GenerationRequest("a", prompt, EngineFixture.Greedy(1)));
        var second = await prefill.Engine.PrefillAsync(new GenerationRequest("b", prompt, EngineFixture.Greedy(1)));

        Assert.Equal(0, first.Usage.CachedPromptTokens);
        Assert.Equal(32, second.Usage.CachedPromptTokens);
        // Same rows up to float rounding: the second prefill computed only the 8 uncached positions, in a smaller batch.
        var difference = first.LayerRows.SelectMany(r => r).Zip(second.LayerRows.SelectMany(r => r), (a, b) => MathF.Abs(a - b)).Max();
        Assert.InRange(difference, 0, 1e-5f);
        Assert.Equal(first.FirstToken.TokenId, second.FirstToken.TokenId);
    }

    [Fact]
    public async Task StartPrefill_PublishesEveryLayerInOrder_ThenTheFirstToken()
    {
        using var prefill = new EngineFixture(new EngineOptions { KvCacheTokens = 512 });
        var (tokens, greedy) = GoldenData.Prompts("tiny-bf16")[3];

        var progress = prefill.Engine.StartPrefill(new GenerationRequest("layers", tokens, EngineFixture.Greedy(1)));
        var layers = new List<int>();
        await foreach (var (layer, rows) in progress.Layers.ReadAllAsync())
        {
            layers.Add(layer);
            Assert.Equal(tokens.Length * progress.RowLength, rows.Length);
        }

        var (first, usage) = await progress.Completion;
        Assert.Equal(Enumerable.Range(0, progress.LayerCount), layers);
        Assert.Equal(greedy[0], first.TokenId);
        Assert.Equal(tokens.Length, usage.PromptTokens);
    }

    [Fact]
    public void SubmitPrefilled_RowsOfAnotherShape_AreRefused()
    {
        using var decode = new EngineFixture(new EngineOptions());
        var request = new GenerationRequest("r", [1, 2, 3], EngineFixture.Greedy(4));
        var wrong = new PrefillOutput([new float[3 * 80]], 80, new SampledToken(5, 0, []), new GenerationUsage(3, 1, 0));

        var error = Assert.Throws<InvalidRequestException>(() => decode.Engine.SubmitPrefilled(request, wrong));

        Assert.Equal("kv", error.Parameter);
    }
}
