using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Inference.Model;
using DeepSeekV3.Inference.Tokenization;
using Microsoft.Extensions.Logging;

namespace DeepSeekV3.Worker.Serving;

/// <summary>
/// Loads a checkpoint into a running engine: config and headers, the model (memory-mapped), the tokenizer when the
/// checkpoint has one, then pages the weights in with progress lines. Owns what it loaded until disposed.
/// </summary>
public sealed partial class ModelLoader(ServeOptions options, ILogger logger, Metrics.Dsv3Metrics? metrics = null) : IDisposable
{
    private Checkpoint? _checkpoint;
    private CpuBackend? _backend;
    private Engine? _engine;

    public Engine Load()
    {
        LogLoading(logger, options.ModelDirectory);
        _checkpoint = Checkpoint.Open(options.ModelDirectory);
        _backend = new CpuBackend(options.Threads);
        var model = new Transformer(_checkpoint, _backend);
        var tokenizer = File.Exists(Path.Combine(options.ModelDirectory, "tokenizer.json"))
            ? Tokenizer.Load(options.ModelDirectory)
            : null;
        if (options.Preload)
        {
            CheckpointPreloader.Preload(_checkpoint, [.. _checkpoint.RequestedTensors], line => LogProgress(logger, line));
        }

        var engineOptions = options.KvCacheBytes is { } bytes
            ? options.Engine with { KvCacheTokens = EngineOptions.TokensForBudget(bytes, model.KvCacheBytesPerToken) }
            : options.Engine;
        _engine = new Engine(model, tokenizer, engineOptions, metrics);
        LogReady(logger, model.Config.NumHiddenLayers, model.StoredBytes / 1e6, _engine.KvCacheCapacityTokens,
            tokenizer is null ? "none (token ids only)" : $"{tokenizer.VocabularySize} tokens");
        return _engine;
    }

    public void Dispose()
    {
        _engine?.Dispose();
        _backend?.Dispose();
        _checkpoint?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "loading checkpoint {Directory}")]
    private static partial void LogLoading(ILogger logger, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Line}")]
    private static partial void LogProgress(ILogger logger, string line);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "model ready: {Layers} layers, {Megabytes:F1} MB of weights, KV cache {Tokens} tokens, tokenizer {Tokenizer}")]
    private static partial void LogReady(ILogger logger, int layers, double megabytes, int tokens, string tokenizer);
}
