using DeepSeekV3.Worker.Serving;

namespace DeepSeekV3.Worker.Tests.Serving;

public sealed class EngineTests
{
    [Fact]
    public async Task Submit_GoldenPromptsConcurrently_EachGetsReferenceGreedyTokens()
    {
        using var fixture = new EngineFixture(new EngineOptions { KvCacheTokens = 512, MaxBatchTokens = 48 });
        var prompts = GoldenData.Prompts("tiny-bf16");

        // Chunked prefill (90-token prompt, 48-token budget) and decodes of the others share steps.
        var results = await Task.WhenAll(prompts.Select(p => fixture.RunAsync(p.Tokens, EngineFixture.Greedy(9))));

        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(prompts[i].Greedy, results[i].Tokens);
            Assert.Equal(FinishReason.Length, results[i].Final.Finish);
            Assert.Equal(new GenerationUsage(prompts[i].Tokens.Length, 9, 0), results[i].Final.Usage);
        }
    }

    [Fact]
    public async Task Submit_SharedPrefix_CountsCacheHitsExactlyAndKeepsOutput()
    {
        using var cached = new EngineFixture(new EngineOptions { KvCacheTokens = 512 });
        using var uncached = new EngineFixture(new EngineOptions { KvCacheTokens = 512, EnablePrefixCache = false });
        int[] first = [.. Enumerable.Range(0, 40).Select(i => ((i * 31) + 7) % 1000)];
        int[] second = [.. first[..35], 900, 901, 902, 903, 904];

        var (_, firstFinal) = await cached.RunAsync(first, EngineFixture.Greedy(4));
        var (tokens, secondFinal) = await cached.RunAsync(second, EngineFixture.Greedy(6));
        var (expected, _) = await uncached.RunAsync(second, EngineFixture.Greedy(6));

        Assert.Equal(0, firstFinal.Usage!.CachedPromptTokens);
        Assert.Equal(32, secondFinal.Usage!.CachedPromptTokens); // two full 16-token blocks of the shared 35
        Assert.Equal(8, secondFinal.Usage.MissedPromptTokens);
        Assert.Equal(expected, tokens);
    }

    [Fact]
    public async Task Submit_WholePromptCached_RecomputesLastBlockForLogits()
    {
        using var fixture = new EngineFixture(new EngineOptions { KvCacheTokens = 512 });
        int[] prompt = [.. Enumerable.Range(0, 32).Select(i => i + 100)];

        var (firstTokens, _) = await fixture.RunAsync(prompt, EngineFixture.Greedy(3));
        var (againTokens, again) = await fixture.RunAsync(prompt, EngineFixture.Greedy(3));

        Assert.Equal(firstTokens, againTokens);
        Assert.Equal(16, again.Usage!.CachedPromptTokens);
    }

    [Fact]
    public async Task Submit_CacheTooSmallForAll_PreemptsAndStillCompletesEveryRequestCorrectly()
    {
        // 6 blocks of 16 tokens; each request grows to 20 + 30 = 50 tokens (4 blocks): they cannot all run at once.
        using var tight = new EngineFixture(new EngineOptions { KvCacheTokens = 96, MaxBatchTokens = 64 });
        using var roomy = new EngineFixture(new EngineOptions { KvCacheTokens = 1024 });
        var prompts = Enumerable.Range(0, 4).Select(r => Enumerable.Range(0, 20).Select(i => ((i + 1) * (r + 3) * 17) % 1000).ToArray()).ToArray();

        var results = await Task.WhenAll(prompts.Select(p => tight.RunAsync(p, EngineFixture.Greedy(30))));
        var stats = await tight.IdleStatsAsync();

        for (int r = 0; r < prompts.Length; r++)
        {
            var (alone, _) = await roomy.RunAsync(prompts[r], EngineFixture.Greedy(30));
            Assert.Equal(alone, results[r].Tokens);
            Assert.Equal(30, results[r].Final.Usage!.CompletionTokens);
        }

        Assert.True(stats.Preemptions > 0, "the cache was large enough that nothing was preempted; the test proves nothing");
    }

    [Fact]
    public async Task Submit_Cancelled_EndsWithCancelledAndFreesBlocks()
    {
        // The tiny preset has a 4096-token context: 4000 tokens take far longer than the cancellation.
        using var model = new TempModel();
        using var fixture = new EngineFixture(new EngineOptions { KvCacheTokens = 4096 }, model.Path);
        using var cancellation = new CancellationTokenSource();
        var reader = fixture.Engine.Submit(new GenerationRequest("r", [1, 2, 3, 4, 5], EngineFixture.Greedy(4000)), cancellation.Token);

        var firstEvent = await reader.ReadAsync();
        await cancellation.CancelAsync();
        GenerationEvent? final = null;
        await foreach (var item in reader.ReadAllAsync())
        {
            final = item;
        }

        var stats = await fixture.IdleStatsAsync();
        Assert.NotNull(firstEvent.Token);
        Assert.Equal(FinishReason.Cancelled, final!.Finish);
        Assert.True(final.Usage!.CompletionTokens < 4000);
        Assert.Equal(stats.TotalBlocks, stats.FreeBlocks);
    }

    [Fact]
    public void Submit_QueueFull_IsRefusedWithoutLosingState()
    {
        using var fixture = new EngineFixture(new EngineOptions { MaxWaitingRequests = 0 });

        Assert.Throws<EngineOverloadedException>(() =>
            fixture.Engine.Submit(new GenerationRequest("r", [1, 2], EngineFixture.Greedy(2))));
    }

    [Theory]
    [InlineData(new int[0], 4, "prompt", "the prompt is empty")]
    [InlineData(new[] { 1, 1000 }, 4, "prompt", "token id 1000 is outside the vocabulary")]
    [InlineData(new[] { 1, 2, 3 }, 126, "max_tokens", "maximum context length is 128 tokens. However, you requested 129 tokens")]
    public void Submit_InvalidRequest_NamesTheParameter(int[] prompt, int maxTokens, string parameter, string message)
    {
        using var fixture = new EngineFixture(new EngineOptions());

        var error = Assert.Throws<InvalidRequestException>(() =>
            fixture.Engine.Submit(new GenerationRequest("r", prompt, EngineFixture.Greedy(maxTokens))));

        Assert.Equal(parameter, error.Parameter);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_SameSeed_SameSample_DifferentSeed_DifferentSample()
    {
        using var fixture = new EngineFixture(new EngineOptions());
        SamplingParams Seeded(ulong seed) => new() { Temperature = 1.5f, TopP = 0.95f, Seed = seed, MaxTokens = 12, IgnoreEos = true };
        int[] prompt = [5, 6, 7, 8];

        var (a, _) = await fixture.RunAsync(prompt, Seeded(42));
        var (b, _) = await fixture.RunAsync(prompt, Seeded(42));
        var (c, _) = await fixture.RunAsync(prompt, Seeded(43));

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public async Task Submit_StopTokenId_StopsBeforeEmittingIt()
    {
        using var fixture = new EngineFixture(new EngineOptions());
        var golden = GoldenData.Prompts("tiny-bf16")[0];
        int stopAt = golden.Greedy[3];

        var (tokens, final) = await fixture.RunAsync(golden.Tokens, EngineFixture.Greedy(9) with { StopTokenIds = [stopAt] });

        Assert.Equal(golden.Greedy[..3], tokens);
        Assert.Equal(FinishReason.Stop, final.Finish);
        Assert.Equal(4, final.Usage!.CompletionTokens);
    }
}
