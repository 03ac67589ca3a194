using System.Runtime.InteropServices;
using System.Threading.Channels;
using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Worker.Serving;

/// <summary>
/// One request inside the engine: its tokens (prompt then generated), its cache blocks, how many of its tokens
/// have KV rows computed, its sampling state, and where its events go. Touched only by the engine thread.
/// </summary>
public sealed class Sequence
{
    private readonly List<int> _tokens;
    private DeterministicRandom _random;

    public Sequence(GenerationRequest request, ChannelWriter<GenerationEvent> events, GeneratedText? text)
    {
        Request = request;
        Events = events;
        Text = text;
        _tokens = [.. request.PromptTokens];
        _random = new DeterministicRandom(request.Sampling.Seed ?? (ulong)System.Random.Shared.NextInt64());
    }

    public GenerationRequest Request { get; }

    public SamplingParams Sampling => Request.Sampling;

    public ChannelWriter<GenerationEvent> Events { get; }

    public GeneratedText? Text { get; }

    public KvBlockTable Table { get; } = new();

    public int PromptLength => Request.PromptTokens.Length;

    public int Length => _tokens.Count;

    public int GeneratedCount => _tokens.Count - PromptLength;

    /// <summary>Prompt then generated tokens.</summary>
    public ReadOnlySpan<int> Tokens => CollectionsMarshal.AsSpan(_tokens);

    /// <summary>Tokens whose KV rows are in the cache; the rest are fed by the next steps.</summary>
    public int ComputedTokens { get; set; }

    /// <summary>Prompt tokens found in the context cache when first admitted (what usage bills as cache hits).</summary>
    public int CachedPromptTokens { get; set; }

    public bool WasAdmitted { get; set; }

    /// <summary>Stopwatch timestamps for latency metrics: arrival, and the last token emitted (0 before the first).</summary>
    public long ArrivalTimestamp { get; set; }

    public long LastTokenTimestamp { get; set; }

    /// <summary>Left the engine's not-yet-running count (the bounded queue).</summary>
    public bool CountedAsRunning { get; set; }

    public bool IsFinished { get; set; }

    public CancellationTokenRegistration CancellationRegistration { get; set; }

    /// <summary>Set for a prefill-only request: receives each layer's rows and the first token, then the sequence ends.</summary>
    public PrefillInProgress? Prefill { get; init; }

    /// <summary>Set for a request whose prompt was prefilled elsewhere: rows to import at admission, and its first token.</summary>
    public PrefillOutput? Imported { get; init; }

    /// <summary>The imported rows are in the cache; a later re-admission (after preemption) recomputes instead.</summary>
    public bool ImportWritten { get; set; }

    /// <summary>First position whose imported row must be written (positions before it came from the context cache).</summary>
    public int ImportFrom { get; set; }

    public int Preemptions { get; set; }

    public Dictionary<int, int> GeneratedCounts { get; } = [];

    /// <summary>The sequence's own generator: a seeded request samples the same tokens whatever else runs.</summary>
    public ref DeterministicRandom Random => ref _random;

    public void Append(int token)
    {
        _tokens.Add(token);
        GeneratedCounts[token] = GeneratedCounts.GetValueOrDefault(token) + 1;
    }

    public GenerationUsage Usage => new(PromptLength, GeneratedCount, CachedPromptTokens);
}
