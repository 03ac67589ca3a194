using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Inference.Model;
using DeepSeekV3.Inference.Tokenization;
using Microsoft.Extensions.Logging;

namespace DeepSeekV3.Worker.Serving;

/// <summary>
/// Loads a checkpoint into a running engine: config and headers, the model (weights copied into huge pages or left
/// memory-mapped, <see cref="ServeOptions.WeightMemory"/>), the tokenizer when the
/// checkpoint has one, then pages the weights in with progress lines. Owns what it loaded until disposed.
/// </summary>
public sealed partial class ModelLoader(ServeOptions options, ILogger logger, Metrics.Dsv3Metrics? metrics = null) : IDisposable
{
    private Checkpoint? _checkpoint;
    private CpuBackend? _backend;
    private CpuBackend? _expertBackend;
    private Experts.RemoteExpertPeers? _peers;
    private Engine? _engine;

    /// <summary>The loaded model (for the Expert service of a group), null until loaded.</summary>
    public Transformer? Model { get; private set; }

    /// <summary>The leader's link to its group's other ranks (null alone).</summary>
    public Experts.RemoteExpertPeers? Peers => _peers;

    /// <summary>The compute backend peers' expert dispatches run on (separate from the engine's), when in a group.</summary>
    public CpuBackend? ExpertBackend => _expertBackend;

    public Engine Load()
    {
        LogLoading(logger, options.ModelDirectory);
        _checkpoint = Checkpoint.Open(options.ModelDirectory, options.WeightMemory);
        _backend = new CpuBackend(options.Threads);
        var group = options.Group;
        ExpertPlacement?[] placements;
        try
        {
            placements = group.InitialPlacements(_checkpoint.Config);
        }
        catch (FormatException e)
        {
            throw new CheckpointException($"expert-parallel group: {e.Message}");
        }

        if (group.Size > 1)
        {
            _expertBackend = new CpuBackend(options.Threads);
            _peers = new Experts.RemoteExpertPeers(group, placements, _checkpoint.Config.HiddenSize);
        }

        var weights = group.WeightMap(placements);

        long copyStart = System.Diagnostics.Stopwatch.GetTimestamp();
        var model = new Transformer(_checkpoint, _backend, weights, _peers);
        _checkpoint.StopCopying(); // experts gained later by re-balancing stay mapped: memory stays bounded
        if (_checkpoint.WeightMemory == WeightMemory.HugePages)
        {
            LogCopied(logger, _checkpoint.CopiedBytes / 1e6, System.Diagnostics.Stopwatch.GetElapsedTime(copyStart).TotalSeconds,
                (HugePageArena.ProcessHugePageBytes() ?? 0) / 1e6);
        }
        else if (options.WeightMemory == WeightMemory.HugePages)
        {
            LogHugePagesNotOffered(logger);
        }
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
        Model = model;
        LogReady(logger, model.Config.NumHiddenLayers, model.StoredBytes / 1e6, _engine.KvCacheCapacityTokens,
            tokenizer is null ? "none (token ids only)" : $"{tokenizer.VocabularySize} tokens");
        return _engine;
    }

    public void Dispose()
    {
        _engine?.Dispose();
        _peers?.Dispose();
        _expertBackend?.Dispose();
        _backend?.Dispose();
        _checkpoint?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "loading checkpoint {Directory}")]
    private static partial void LogLoading(ILogger logger, string directory);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "weights copied into huge-page memory: {Megabytes:F1} MB in {Seconds:F1} s (process on huge pages: {HugeMegabytes:F0} MB)")]
    private static partial void LogCopied(ILogger logger, double megabytes, double seconds, double hugeMegabytes);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "huge pages are not offered here (not Linux, or /sys/kernel/mm/transparent_hugepage/enabled is never): the weights stay memory-mapped")]
    private static partial void LogHugePagesNotOffered(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Line}")]
    private static partial void LogProgress(ILogger logger, string line);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "model ready: {Layers} layers, {Megabytes:F1} MB of weights, KV cache {Tokens} tokens, tokenizer {Tokenizer}")]
    private static partial void LogReady(ILogger logger, int layers, double megabytes, int tokens, string tokenizer);
}
