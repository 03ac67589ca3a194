using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Inference.Model;
using DeepSeekV3.Inference.Tests.Golden;

namespace DeepSeekV3.Inference.Tests.Model;

public sealed class GenerationTests
{
    [Fact]
    public void Forward_PrefillInTwoChunks_EqualsOnePrefill()
    {
        using var checkpoint = Checkpoint.Open(Path.Combine(GoldenCase.Root, "tiny-bf16"));
        using var backend = new CpuBackend();
        var model = new Transformer(checkpoint, backend);
        int vocab = model.Config.VocabSize;
        int[] prompt = [.. Enumerable.Range(0, 40).Select(i => (i * 37) % vocab)];

        var whole = Prefill(model, [(prompt, 0)]);
        // Chunked prefill: the second chunk attends to the first through the cache (causal mask offset by start_pos).
        var chunked = Prefill(model, [(prompt[..23], 0), (prompt[23..], 23)]);

        Assert.InRange(GoldenCase.MaxAbsDifference(chunked, whole), 0, 1e-5f);
    }

    [Fact]
    public void Generate_PromptBeyondContext_IsRejectedWithReason()
    {
        using var checkpoint = Checkpoint.Open(Path.Combine(GoldenCase.Root, "tiny-bf16"));
        using var backend = new CpuBackend();
        var generator = new GreedyGenerator(new Transformer(checkpoint, backend));

        var error = Assert.Throws<ArgumentException>(() => generator.Generate([new int[120]], 10));

        Assert.Contains("exceed max_position_embeddings (128)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RandomCheckpoint_SameSeed_WritesIdenticalFiles()
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();
        RandomCheckpoint.Write(first.Path, ModelPresets.Tiny, fp8: true, shards: 2, seed: 11);
        RandomCheckpoint.Write(second.Path, ModelPresets.Tiny, fp8: true, shards: 2, seed: 11);

        foreach (string path in Directory.GetFiles(first.Path))
        {
            Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(Path.Combine(second.Path, Path.GetFileName(path))));
        }

        Assert.True(File.Exists(first.File(Checkpoint.IndexFileName)));
    }

    private static float[] Prefill(Transformer model, (int[] Tokens, int Start)[] chunks)
    {
        var cache = model.CreateKvCache(64);
        var table = new KvBlockTable();
        new KvBlockAllocator(cache).EnsureCapacity(table, 64);
        var state = new RunState(model.Config);
        var logits = new float[model.Config.VocabSize];
        foreach (var (tokens, start) in chunks)
        {
            var batch = new ForwardBatch(cache);
            batch.AddSequence(table, tokens, start, wantLogits: true);
            model.Forward(batch, state, logits);
        }

        return logits;
    }
}
