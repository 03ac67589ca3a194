using System.Threading.Channels;
using DeepSeekV3.Inference.Model;
using DeepSeekV3.Inference.Tokenization;
using DeepSeekV3.Protos.V1;
using DeepSeekV3.Wire.Grpc;
using DeepSeekV3.Wire.Services;
using DeepSeekV3.Worker.Rpc;
using DeepSeekV3.Worker.Serving;

namespace DeepSeekV3.Worker.Routing;

/// <summary>
/// The router's generation service: each request goes to a prefill worker and a decode worker chosen by
/// <see cref="RouterPolicy"/> from load reports refreshed in the background, its KV cache relayed between them
/// (<see cref="DisaggregatedClient"/>), its tokens streamed back. A pair that fails before the first token reaches the
/// client is replaced (at most <see cref="MaxAttempts"/> tries); after that the stream ends with a clear error.
/// Workers are given as host:port; a name that resolves to several addresses (a Kubernetes headless Service: one per
/// pod) stands for all of them, and names are resolved again on every refresh, so pods that come and go are followed.
/// </summary>
public sealed class RemoteGenerationService : IGenerationService, IAsyncDisposable
{
    public const int MaxAttempts = 3;

    private readonly Dictionary<string, GrpcChannel> _channels = [];
    private readonly Lock _channelsLock = new();
    private readonly IReadOnlyList<string> _prefillNames;
    private readonly IReadOnlyList<string> _decodeNames;
    private volatile IReadOnlySet<string> _prefill = new HashSet<string>();
    private volatile IReadOnlySet<string> _decode = new HashSet<string>();
    private readonly RoutingPolicy _policy;
    private long _turn;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _refresher;
    private volatile IReadOnlyDictionary<string, WorkerSnapshot> _snapshots = new Dictionary<string, WorkerSnapshot>();

    public RemoteGenerationService(ModelConfig config, Tokenizer? tokenizer, IReadOnlyList<string> prefill, IReadOnlyList<string> decode,
        RoutingPolicy policy = RoutingPolicy.CacheAware)
    {
        _policy = policy;
        Tokenizer = tokenizer;
        MaxModelLength = config.MaxPositionEmbeddings;
        _prefillNames = prefill;
        _decodeNames = decode;
        _refresher = RefreshLoopAsync(_stopping.Token);
    }

    public Tokenizer? Tokenizer { get; }

    public int MaxModelLength { get; }

    public EngineStats? Stats => null;

    /// <summary>True once at least one prefill and one decode worker answered.</summary>
    public bool HasWorkers => _prefill.Any(a => _snapshots.GetValueOrDefault(a)?.Healthy == true)
        && _decode.Any(a => _snapshots.GetValueOrDefault(a)?.Healthy == true);

    public ChannelReader<GenerationEvent> Submit(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        if (request.PromptTokens.Length == 0)
        {
            throw new InvalidRequestException("prompt", "the prompt is empty");
        }

        if (request.PromptTokens.Length + request.Sampling.MaxTokens > MaxModelLength)
        {
            throw new InvalidRequestException("max_tokens",
                $"This model's maximum context length is {MaxModelLength} tokens. However, you requested {request.PromptTokens.Length + request.Sampling.MaxTokens} tokens ({request.PromptTokens.Length} in the prompt, {request.Sampling.MaxTokens} in the completion). Please reduce the prompt or max_tokens.");
        }

        if (!HasWorkers)
        {
            throw new EngineOverloadedException("no healthy prefill and decode workers");
        }

        var channel = Channel.CreateUnbounded<GenerationEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        _ = RunAsync(request, channel.Writer, cancellationToken);
        return channel.Reader;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _refresher;
        lock (_channelsLock)
        {
            foreach (var channel in _channels.Values)
            {
                channel.Dispose();
            }
        }

        _stopping.Dispose();
    }

    private async Task RunAsync(GenerationRequest request, ChannelWriter<GenerationEvent> events, CancellationToken cancellationToken)
    {
        var tried = new HashSet<string>(StringComparer.Ordinal);
        var header = new DecodeHeader { RequestId = request.RequestId, Sampling = ProtoMapping.ToProto(request.Sampling) };
        header.PromptTokenIds.AddRange(request.PromptTokens);
        for (int attempt = 1; ; attempt++)
        {
            var snapshots = _snapshots.Values.ToArray();
            var prefillWorkers = _prefill;
            var decodeWorkers = _decode;
            var pair = RouterPolicy.ChoosePair([.. snapshots.Where(s => prefillWorkers.Contains(s.Address))],
                [.. snapshots.Where(s => decodeWorkers.Contains(s.Address))], request.PromptTokens, tried, _policy, Interlocked.Increment(ref _turn));
            if (pair is not var (prefill, decode))
            {
                events.TryComplete(new EngineFailedException("no healthy pair of prefill and decode workers of the same revision left to try"));
                return;
            }

            bool streamed = false;
            try
            {
                await foreach (var output in DisaggregatedClient.GenerateAsync(ChannelFor(prefill.Address), ChannelFor(decode.Address), header, cancellationToken))
                {
                    streamed = true;
                    events.TryWrite(output.PayloadCase == DecodeOutput.PayloadOneofCase.Token
                        ? new GenerationEvent(output.Token.Text, ProtoMapping.FromProto(output.Token), null, null)
                        : new GenerationEvent(output.Finish.Text, null, FromProto(output.Finish.Reason), ProtoMapping.FromProto(output.Finish.Usage)));
                }

                events.TryComplete();
                return;
            }
            catch (Exception e) when (cancellationToken.IsCancellationRequested && e is RpcException or PrefillFailedException)
            {
                events.TryComplete(); // the client went away
                return;
            }
            catch (PrefillFailedException e) when (!streamed && attempt < MaxAttempts && e.Status.Code is not StatusCode.InvalidArgument)
            {
                // Nothing reached the client yet: try again without the worker that failed.
                tried.Add(prefill.Address);
            }
            catch (RpcException e) when (!streamed && attempt < MaxAttempts && e.StatusCode is not StatusCode.InvalidArgument)
            {
                tried.Add(decode.Address);
            }
            catch (PrefillFailedException e)
            {
                events.TryComplete(new EngineFailedException($"generation failed on prefill worker {prefill.Address}: {e.Status.Detail}", e));
                return;
            }
            catch (RpcException e)
            {
                events.TryComplete(new EngineFailedException($"generation failed on decode worker {decode.Address}: {e.Status.Detail}", e));
                return;
            }
        }
    }

    private async Task RefreshLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            _prefill = await ResolveAsync(_prefillNames, cancellationToken);
            _decode = await ResolveAsync(_decodeNames, cancellationToken);
            var reports = await Task.WhenAll(_prefill.Concat(_decode).Distinct().Select(async address =>
            {
                try
                {
                    var report = await ChannelFor(address).UnaryAsync(WorkerMethods.Load, new LoadRequest(),
                        new CallOptions(Deadline: DateTime.UtcNow.AddSeconds(1), CancellationToken: cancellationToken));
                    return new WorkerSnapshot(address, !report.Draining, report.RunningRequests, report.WaitingRequests,
                        report.KvBlocksFree, report.KvBlockSizeTokens, report.CachedPrefixHashes.ToHashSet(), report.Revision);
                }
                catch (RpcException)
                {
                    return new WorkerSnapshot(address, false, 0, 0, 0, 0, new HashSet<ulong>());
                }
            }));
            _snapshots = reports.ToDictionary(r => r.Address);
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private GrpcChannel ChannelFor(string address)
    {
        lock (_channelsLock)
        {
            if (!_channels.TryGetValue(address, out var channel))
            {
                _channels[address] = channel = new GrpcChannel(new Uri("http://" + address));
            }

            return channel;
        }
    }

    /// <summary>Every address the names stand for now: an IP literal stays itself, a DNS name becomes each of its addresses.</summary>
    private static async Task<IReadOnlySet<string>> ResolveAsync(IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        var addresses = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in names)
        {
            string hostPort = name.Contains("://", StringComparison.Ordinal) ? new Uri(name).Authority : name;
            int colon = hostPort.LastIndexOf(':');
            string host = colon > 0 ? hostPort[..colon] : hostPort, port = colon > 0 ? hostPort[(colon + 1)..] : "50051";
            if (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out _))
            {
                addresses.Add($"{host}:{port}");
                continue;
            }

            try
            {
                foreach (var ip in await System.Net.Dns.GetHostAddressesAsync(host, cancellationToken))
                {
                    addresses.Add(ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]:{port}" : $"{ip}:{port}");
                }
            }
            catch (System.Net.Sockets.SocketException)
            {
                // Not resolvable right now (no pod ready yet): the name simply stands for no worker until it is.
            }
        }

        return addresses;
    }

    private static FinishReason FromProto(Finish.Types.Reason reason) => reason switch
    {
        Finish.Types.Reason.Stop => FinishReason.Stop,
        Finish.Types.Reason.Length => FinishReason.Length,
        _ => FinishReason.Cancelled,
    };
}
