using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Inference.Model;

/// <summary>
/// Greedy generation for a batch of prompts of any lengths: one prefill step holding every prompt, then one
/// decode step per new token in which every sequence feeds its previous argmax at its own next position.
/// </summary>
public sealed class GreedyGenerator(Transformer model)
{
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<int[]> prompts, int maxNewTokens,
        AttentionForm form = AttentionForm.Absorbed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxNewTokens, 1);
        var config = model.Config;
        int vocab = config.VocabSize;
        foreach (var prompt in prompts)
        {
            Validate(prompt, maxNewTokens);
        }

        var cache = model.CreateKvCache(prompts.Sum(p => p.Length + maxNewTokens + 16));
        var allocator = new KvBlockAllocator(cache);
        var tables = prompts.Select(_ => new KvBlockTable()).ToArray();
        var batch = new ForwardBatch(cache);
        var state = new RunState(config, prompts.Sum(p => p.Length));
        var logits = new float[prompts.Count * vocab];

        for (int i = 0; i < prompts.Count; i++)
        {
            allocator.EnsureCapacity(tables[i], prompts[i].Length);
            batch.AddSequence(tables[i], prompts[i], 0, wantLogits: true);
        }

        model.Forward(batch, state, logits, form);
        var prefillLogits = new float[prompts.Count][];
        var generated = new List<int>[prompts.Count];
        var steps = new List<DecodeStep>[prompts.Count];
        for (int i = 0; i < prompts.Count; i++)
        {
            prefillLogits[i] = logits.AsSpan(i * vocab, vocab).ToArray();
            generated[i] = [Argmax(prefillLogits[i])];
            steps[i] = [];
        }

        Span<int> input = stackalloc int[1];
        for (int step = 1; step < maxNewTokens; step++)
        {
            batch.Clear();
            for (int i = 0; i < prompts.Count; i++)
            {
                input[0] = generated[i][^1];
                allocator.EnsureCapacity(tables[i], prompts[i].Length + step);
                batch.AddSequence(tables[i], input, prompts[i].Length + step - 1, wantLogits: true);
            }

            model.Forward(batch, state, logits, form);
            for (int i = 0; i < prompts.Count; i++)
            {
                var rowLogits = logits.AsSpan(i * vocab, vocab).ToArray();
                int argmax = Argmax(rowLogits);
                steps[i].Add(new DecodeStep(prompts[i].Length + step - 1, generated[i][^1], rowLogits, argmax));
                generated[i].Add(argmax);
            }
        }

        foreach (var table in tables)
        {
            allocator.Release(table);
        }

        return [.. prompts.Select((prompt, i) => new GenerationResult(prompt, prefillLogits[i], steps[i], [.. generated[i]]))];
    }

    /// <summary>Index of the largest logit; the first one on a tie (torch.argmax).</summary>
    public static int Argmax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        return best;
    }

    private void Validate(int[] prompt, int maxNewTokens)
    {
        var config = model.Config;
        if (prompt.Length == 0)
        {
            throw new ArgumentException("a prompt needs at least one token");
        }

        foreach (int token in prompt)
        {
            if (token < 0 || token >= config.VocabSize)
            {
                throw new ArgumentException($"token id {token} is outside the vocabulary [0, {config.VocabSize})");
            }
        }

        if (prompt.Length + maxNewTokens - 1 > config.MaxPositionEmbeddings)
        {
            throw new ArgumentException(
                $"{prompt.Length} prompt tokens + {maxNewTokens} new tokens exceed max_position_embeddings ({config.MaxPositionEmbeddings})");
        }
    }
}
