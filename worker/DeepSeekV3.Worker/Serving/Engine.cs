using System.Collections.Concurrent;
using System.Threading.Channels;
using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Inference.Model;
using DeepSeekV3.Inference.Tokenization;

namespace DeepSeekV3.Worker.Serving;

/// <summary>
/// The serving engine: one thread runs step after step (schedule → run the model → postprocess: sample, stream,
/// finish), while requests arrive from any thread through <see cref="Submit"/> and leave through a per-request
/// channel — the async edge. Everything inside (scheduler, block manager, sequences, buffers) belongs to the engine
/// thread, so none of it is locked.
/// </summary>
public sealed partial class Engine : IGenerationService, IDisposable
{
    private readonly Transformer _model;
    private readonly EngineOptions _options;
    private readonly BlockManager _blocks;
    private readonly Scheduler _scheduler;
    private readonly Sampler _sampler;
    private readonly RunState _state;
    private readonly ForwardBatch _batch;
    private readonly float[] _logits; // [MaxRunningSequences, vocab]
    private readonly ConcurrentQueue<(Sequence Sequence, bool Cancel)> _commands = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Thread _thread;
    private readonly int _eosTokenId;
    private readonly List<Sequence> _exporting = []; // prefill-only sequences whose prompt completes in this step
    private readonly Action<int> _exportLayer;
    private readonly Metrics.Dsv3Metrics? _metrics;
    private long _reportedPreemptions;
    private int _notYetRunning;
    private volatile bool _stopping;
    private volatile EngineStats _stats;

    public Engine(Transformer model, Tokenizer? tokenizer, EngineOptions options, Metrics.Dsv3Metrics? metrics = null)
    {
        _model = model;
        _metrics = metrics;
        _options = options;
        Tokenizer = tokenizer;
        var cache = model.CreateKvCache(options.KvCacheTokens, options.BlockSizeTokens);
        _blocks = new BlockManager(cache, options.EnablePrefixCache);
        _scheduler = new Scheduler(_blocks, options);
        _sampler = new Sampler(model.Config.VocabSize);
        _state = new RunState(model.Config, options.MaxBatchTokens);
        _batch = new ForwardBatch(cache);
        _logits = new float[options.MaxRunningSequences * model.Config.VocabSize];
        _eosTokenId = tokenizer?.EosTokenId ?? model.Config.EosTokenId;
        _exportLayer = ExportLayer;
        _stats = Snapshot();
        _thread = new Thread(RunLoop) { IsBackground = true, Name = "dsv3-engine" };
        _thread.Start();
    }

    public ModelConfig Config => _model.Config;

    public Tokenizer? Tokenizer { get; }

    /// <summary>Tokens the cache holds in all: no request may need more.</summary>
    public int KvCacheCapacityTokens => _blocks.TotalBlockCount * _blocks.BlockSize;

    public EngineStats Stats => _stats;

    EngineStats? IGenerationService.Stats => _stats;

    public int MaxModelLength => Math.Min(_model.Config.MaxPositionEmbeddings, KvCacheCapacityTokens);

    /// <summary>
    /// Queues a request; its events arrive on the returned reader, ending with a final event. Cancelling
    /// <paramref name="cancellationToken"/> (a client that went away) stops it and frees its cache blocks.
    /// </summary>
    public ChannelReader<GenerationEvent> Submit(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        return Enqueue(request, writer => new Sequence(request, writer, Tokenizer is null ? null : new GeneratedText(Tokenizer, request.Sampling.Stop)),
            cancellationToken);
    }

    private ChannelReader<GenerationEvent> Enqueue(GenerationRequest request, Func<ChannelWriter<GenerationEvent>, Sequence> create,
        CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        Validate(request);
        if (Interlocked.Increment(ref _notYetRunning) > _options.MaxWaitingRequests)
        {
            Interlocked.Decrement(ref _notYetRunning);
            throw new EngineOverloadedException($"{_options.MaxWaitingRequests} requests are already waiting");
        }

        var channel = Channel.CreateUnbounded<GenerationEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var sequence = create(channel.Writer);
        sequence.ArrivalTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
        _commands.Enqueue((sequence, false));
        if (cancellationToken.CanBeCanceled)
        {
            sequence.CancellationRegistration = cancellationToken.Register(() =>
            {
                _commands.Enqueue((sequence, true));
                _wake.Release();
            });
        }

        _wake.Release();
        return channel.Reader;
    }

    /// <summary>
    /// Prefill only (the prefill role): runs the prompt through this engine (its context cache included); each layer's
    /// cache rows for the prompt positions are published as soon as the layer is computed, then the first token. The
    /// sequence then ends here.
    /// </summary>
    public PrefillInProgress StartPrefill(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        var stream = new PrefillInProgress(_model.Config.NumHiddenLayers, _blocks.Cache.RowLength);
        var prefill = request with { Sampling = request.Sampling with { MaxTokens = 1, Stop = [] } };
        var events = Enqueue(prefill, s => new Sequence(prefill, s, null) { Prefill = stream }, cancellationToken);
        _ = WatchAsync(events, stream);
        return stream;
    }

    /// <summary>The whole prefill at once: every layer's rows and the first token.</summary>
    public Task<PrefillOutput> PrefillAsync(GenerationRequest request, CancellationToken cancellationToken = default) =>
        StartPrefill(request, cancellationToken).CollectAsync(cancellationToken);

    /// <summary>
    /// Decode from a prompt prefilled elsewhere (the decode role): the rows are written into this engine's cache, the
    /// first token is emitted, and generation continues here. The rows were verified by the caller.
    /// </summary>
    public ChannelReader<GenerationEvent> SubmitPrefilled(GenerationRequest request, PrefillOutput prefilled, CancellationToken cancellationToken = default)
    {
        var c = _model.Config;
        if (prefilled.LayerRows.Length != c.NumHiddenLayers || prefilled.RowLength != c.KvLoraRank + c.QkRopeHeadDim
            || prefilled.LayerRows.Any(rows => rows.Length != request.PromptTokens.Length * prefilled.RowLength))
        {
            throw new InvalidRequestException("kv", $"the transferred cache does not match this model ({c.NumHiddenLayers} layers of [{request.PromptTokens.Length}, {c.KvLoraRank + c.QkRopeHeadDim}])");
        }

        return Enqueue(request, s => new Sequence(request, s, Tokenizer is null ? null : new GeneratedText(Tokenizer, request.Sampling.Stop)) { Imported = prefilled },
            cancellationToken);
    }

    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _wake.Release();
        _thread.Join();
        _wake.Dispose();
    }

    /// <summary>A prefill's events end without its output only if it failed or was cancelled: the stream says so.</summary>
    private static async Task WatchAsync(ChannelReader<GenerationEvent> events, PrefillInProgress stream)
    {
        try
        {
            await foreach (var item in events.ReadAllAsync())
            {
                if (item.Finish == FinishReason.Cancelled)
                {
                    stream.Fail(new OperationCanceledException("the prefill was cancelled"));
                }
            }
        }
        catch (EngineFailedException e)
        {
            stream.Fail(e);
        }

        stream.Fail(new InvalidOperationException("the prefill ended without a first token"));
    }

    private void Validate(GenerationRequest request)
    {
        var c = _model.Config;
        int prompt = request.PromptTokens.Length;
        if (prompt == 0)
        {
            throw new InvalidRequestException("prompt", "the prompt is empty");
        }

        foreach (int token in request.PromptTokens)
        {
            if ((uint)token >= (uint)c.VocabSize)
            {
                throw new InvalidRequestException("prompt", $"token id {token} is outside the vocabulary [0, {c.VocabSize})");
            }
        }

        int limit = Math.Min(c.MaxPositionEmbeddings, KvCacheCapacityTokens);
        if (prompt + request.Sampling.MaxTokens > limit)
        {
            throw new InvalidRequestException("max_tokens",
                $"This model's maximum context length is {limit} tokens. However, you requested {prompt + request.Sampling.MaxTokens} tokens ({prompt} in the prompt, {request.Sampling.MaxTokens} in the completion). Please reduce the prompt or max_tokens.");
        }
    }

    private void RunLoop()
    {
        while (!_stopping)
        {
            DrainCommands();
            if (!_scheduler.HasWork)
            {
                _stats = Snapshot();
                _wake.Wait();
                continue;
            }

            try
            {
                Step();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A bug must not take the server down: the requests in flight end with the error, the engine goes on.
                FailRunning(e);
            }

            _stats = Snapshot();
        }

        FailAll(FinishReason.Cancelled);
    }

    private void DrainCommands()
    {
        while (_commands.TryDequeue(out var command))
        {
            var sequence = command.Sequence;
            if (!command.Cancel)
            {
                if (sequence.Imported is { } imported && sequence.GeneratedCount == 0)
                {
                    // The first token came with the transfer: stream it now; it may already end the request.
                    AcceptToken(sequence, imported.FirstToken);
                    if (sequence.IsFinished)
                    {
                        continue;
                    }
                }

                _scheduler.Add(sequence);
            }
            else if (!sequence.IsFinished)
            {
                Finish(sequence, FinishReason.Cancelled, "");
            }
        }
    }

    private EngineStats Snapshot() => new(_scheduler.RunningCount, _scheduler.WaitingCount + _commands.Count,
        _blocks.FreeBlockCount, _blocks.TotalBlockCount, _blocks.BlockSize, _scheduler.PreemptionCount)
    {
        CachedPrefixHashes = _blocks.CachedPrefixHashes(4096),
    };
}
