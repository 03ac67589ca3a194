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
public sealed partial class Engine : IDisposable
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
        _stats = Snapshot();
        _thread = new Thread(RunLoop) { IsBackground = true, Name = "dsv3-engine" };
        _thread.Start();
    }

    public ModelConfig Config => _model.Config;

    public Tokenizer? Tokenizer { get; }

    /// <summary>Tokens the cache holds in all: no request may need more.</summary>
    public int KvCacheCapacityTokens => _blocks.TotalBlockCount * _blocks.BlockSize;

    public EngineStats Stats => _stats;

    /// <summary>
    /// Queues a request; its events arrive on the returned reader, ending with a final event. Cancelling
    /// <paramref name="cancellationToken"/> (a client that went away) stops it and frees its cache blocks.
    /// </summary>
    public ChannelReader<GenerationEvent> Submit(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        Validate(request);
        if (Interlocked.Increment(ref _notYetRunning) > _options.MaxWaitingRequests)
        {
            Interlocked.Decrement(ref _notYetRunning);
            throw new EngineOverloadedException($"{_options.MaxWaitingRequests} requests are already waiting");
        }

        var channel = Channel.CreateUnbounded<GenerationEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var text = Tokenizer is null ? null : new GeneratedText(Tokenizer, request.Sampling.Stop);
        var sequence = new Sequence(request, channel.Writer, text) { ArrivalTimestamp = System.Diagnostics.Stopwatch.GetTimestamp() };
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
                _scheduler.Add(sequence);
            }
            else if (!sequence.IsFinished)
            {
                Finish(sequence, FinishReason.Cancelled, "");
            }
        }
    }

    private EngineStats Snapshot() => new(_scheduler.RunningCount, _scheduler.WaitingCount + _commands.Count,
        _blocks.FreeBlockCount, _blocks.TotalBlockCount, _blocks.BlockSize, _scheduler.PreemptionCount);
}
