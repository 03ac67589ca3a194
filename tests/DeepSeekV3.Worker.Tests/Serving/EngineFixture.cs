using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Inference.Model;
using DeepSeekV3.Worker.Serving;

namespace DeepSeekV3.Worker.Tests.Serving;

/// <summary>A real engine on a golden tiny checkpoint (no tokenizer: token ids in, token ids out).</summary>
internal sealed class EngineFixture : IDisposable
{
    private readonly Checkpoint _checkpoint;
    private readonly CpuBackend _backend;

    // model: a golden case name, or a checkpoint directory.
    public EngineFixture(EngineOptions options, string model = "tiny-bf16")
    {
        _checkpoint = Checkpoint.Open(Directory.Exists(model) ? model : GoldenData.Directory(model));
        _backend = new CpuBackend();
        Engine = new Engine(new Transformer(_checkpoint, _backend), null, options);
    }

    public Engine Engine { get; }

    public static SamplingParams Greedy(int maxTokens) => new() { Temperature = 0, MaxTokens = maxTokens, IgnoreEos = true };

    /// <summary>Submits and reads every event: (generated token ids, final event).</summary>
    public async Task<(int[] Tokens, GenerationEvent Final)> RunAsync(int[] prompt, SamplingParams sampling,
        CancellationToken cancellationToken = default)
    {
        var reader = Engine.Submit(new GenerationRequest(Guid.NewGuid().ToString("N"), prompt, sampling), cancellationToken);
        var tokens = new List<int>();
        GenerationEvent? final = null;
        await foreach (var item in reader.ReadAllAsync(CancellationToken.None))
        {
            if (item.Token is { } token)
            {
                tokens.Add(token.TokenId);
            }

            final = item.Finish is null ? final : item;
        }

        return ([.. tokens], final ?? throw new InvalidOperationException("the stream ended without a final event"));
    }

    /// <summary>Waits (bounded) until the engine is idle and every block is free again.</summary>
    public async Task<EngineStats> IdleStatsAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var stats = Engine.Stats;
            if (stats is { Running: 0, Waiting: 0 } && stats.FreeBlocks == stats.TotalBlocks)
            {
                return stats;
            }

            await Task.Delay(5, timeout.Token);
        }
    }

    public void Dispose()
    {
        Engine.Dispose();
        _backend.Dispose();
        _checkpoint.Dispose();
    }
}
