namespace DeepSeekV3.Worker.Serving;

/// <summary>
/// Chooses what each engine step computes (continuous batching, after nano-vllm and vLLM's v1 scheduler).
/// Invariants:
/// - a step feeds at most <c>MaxBatchTokens</c> tokens; running sequences go first in arrival order (a decode
///   costs one token, an unfinished prefill continues with a chunk), then waiting ones are admitted first come,
///   first served, so a long prompt is prefilled in chunks between decode steps instead of stalling them;
/// - a running sequence always holds blocks for every token it is fed; when a step needs a block and none is free,
///   the most recently admitted running sequence is preempted: its blocks are freed (its computed prefix stays in
///   the context cache) and it returns to the front of the queue with its tokens, to be recomputed — nothing lost;
/// - admission needs blocks for the sequence's whole current token list; a sequence that could never fit the
///   cache is refused at submission, so the queue head always fits once enough finishes.
/// </summary>
public sealed class Scheduler(BlockManager blocks, EngineOptions options)
{
    private readonly LinkedList<Sequence> _waiting = new();
    private readonly List<Sequence> _running = [];
    private readonly List<ScheduledChunk> _chunks = [];

    public int WaitingCount => _waiting.Count;

    public int RunningCount => _running.Count;

    public bool HasWork => _waiting.Count > 0 || _running.Count > 0;

    public long PreemptionCount { get; private set; }

    public void Add(Sequence sequence) => _waiting.AddLast(sequence);

    /// <summary>Every sequence, running then waiting.</summary>
    public IEnumerable<Sequence> Sequences => _running.Concat(_waiting);

    /// <summary>Takes a sequence out of the queues and frees its blocks (finished or cancelled).</summary>
    public void Remove(Sequence sequence)
    {
        if (!_running.Remove(sequence))
        {
            _waiting.Remove(sequence);
        }

        blocks.Free(sequence.Table);
    }

    /// <summary>The chunks of the next step; empty when nothing can run. The list is reused by the next call.</summary>
    public IReadOnlyList<ScheduledChunk> Schedule()
    {
        _chunks.Clear();
        int budget = options.MaxBatchTokens;
        for (int i = 0; i < _running.Count && budget > 0; i++)
        {
            var sequence = _running[i];
            int count = Math.Min(sequence.Length - sequence.ComputedTokens, budget);
            if (!ReserveOrPreempt(sequence, sequence.ComputedTokens + count))
            {
                break; // the sequence itself was preempted, and with it everything after it
            }

            _chunks.Add(new ScheduledChunk(sequence, sequence.ComputedTokens, count, sequence.ComputedTokens + count == sequence.Length));
            budget -= count;
        }

        while (budget > 0 && _waiting.First is { } node && _running.Count < options.MaxRunningSequences)
        {
            var sequence = node.Value;
            if (blocks.BlocksNeeded(sequence.Tokens) > blocks.FreeBlockCount)
            {
                break; // first come, first served: nobody overtakes the head
            }

            _waiting.RemoveFirst();
            int cached = blocks.Allocate(sequence.Table, sequence.Tokens);
            if (!sequence.WasAdmitted)
            {
                sequence.CachedPromptTokens = sequence.Imported?.Usage.CachedPromptTokens ?? cached;
                sequence.WasAdmitted = true;
            }

            // A prompt prefilled elsewhere counts as computed: the engine writes its rows before the step runs.
            if (sequence.Imported is not null && !sequence.ImportWritten)
            {
                sequence.ImportFrom = cached;
                cached = Math.Max(cached, sequence.PromptLength);
            }

            sequence.ComputedTokens = cached;
            _running.Add(sequence);
            int count = Math.Min(sequence.Length - cached, budget);
            _chunks.Add(new ScheduledChunk(sequence, cached, count, cached + count == sequence.Length));
            budget -= count;
        }

        return _chunks;
    }

    /// <summary>Ensures blocks for <paramref name="tokens"/> tokens, preempting younger sequences; false if it preempted itself.</summary>
    private bool ReserveOrPreempt(Sequence sequence, int tokens)
    {
        while (!blocks.TryGrow(sequence.Table, tokens))
        {
            var victim = _running[^1];
            Preempt(victim);
            if (victim == sequence)
            {
                return false;
            }
        }

        return true;
    }

    private void Preempt(Sequence sequence)
    {
        _running.Remove(sequence);
        blocks.Free(sequence.Table);
        sequence.ComputedTokens = 0;
        sequence.Preemptions++;
        PreemptionCount++;
        _waiting.AddFirst(sequence);
    }
}
