using DeepSeekV3.Inference.Model;
using DeepSeekV3.Protos.V1;
using DeepSeekV3.Wire.Grpc;
using DeepSeekV3.Wire.Services;

namespace DeepSeekV3.Worker.Experts;

/// <summary>
/// Dispatch and combine over the Expert stream: for each MoE layer, the tokens whose chosen experts live on other ranks
/// go to those ranks (one Dispatch per rank, all sent before any answer is awaited, so peers compute in parallel),
/// and each rank's Combine — Σ weight · expert(x) per token — is added to the layer output. One long-lived stream per
/// peer; a peer that fails or does not answer within the timeout fails the step with a message naming it, and the
/// next step reconnects.
/// </summary>
public sealed class RemoteExpertPeers : IExpertPeers, IDisposable
{
    private readonly GroupTopology _topology;
    private readonly int _hidden;
    private ExpertPlacement?[] _placements;
    private readonly TimeSpan _timeout;
    private readonly Link?[] _links;
    private readonly Lock _lock = new();
    private ulong _step;

    public RemoteExpertPeers(GroupTopology topology, ExpertPlacement?[] placements, int hidden, TimeSpan? timeout = null)
    {
        _topology = topology;
        _placements = placements;
        _hidden = hidden;
        _timeout = timeout ?? TimeSpan.FromSeconds(30);
        _links = new Link?[topology.Size];
    }

    /// <summary>Bytes of hidden states sent and received so far (the communication volume per token).</summary>
    public long BytesMoved { get; private set; }

    /// <summary>MoE layers that dispatched to at least one peer, and the time spent from dispatch to the last combine.</summary>
    public long Exchanges { get; private set; }

    public TimeSpan ExchangeTime { get; private set; }

    public void AddRemoteExperts(int layer, ReadOnlySpan<float> normed, int tokens, ReadOnlySpan<int> routedExperts,
        ReadOnlySpan<float> routedWeights, int k, Span<float> output)
    {
        lock (_lock)
        {
            var dispatches = new Dispatch?[_topology.Size];
            var tokenLists = new List<int>?[_topology.Size];
            ulong step = ++_step;
            for (int t = 0; t < tokens; t++)
            {
                for (int j = 0; j < k; j++)
                {
                    int expert = routedExperts[(t * k) + j];
                    if (expert < 0)
                    {
                        continue; // computed on this rank
                    }

                    var placement = _placements[layer] ?? throw new InvalidOperationException($"layer {layer} has no expert placement");
                    int owner = placement.RemoteRank(expert, t, _topology.Rank);

                    var dispatch = dispatches[owner] ??= new Dispatch { Step = step, Layer = layer };
                    var list = tokenLists[owner] ??= [];
                    if (list.Count == 0 || list[^1] != t)
                    {
                        list.Add(t);
                        dispatch.ExpertsPerToken.Add(0);
                    }

                    dispatch.ExpertsPerToken[^1]++;
                    dispatch.ExpertIds.Add(expert);
                    dispatch.Weights.Add(routedWeights[(t * k) + j]);
                }
            }

            var pending = new List<(int Rank, Task<Combine> Answer)>();
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            for (int rank = 0; rank < _topology.Size; rank++)
            {
                if (dispatches[rank] is not { } dispatch)
                {
                    continue;
                }

                var list = tokenLists[rank]!;
                var hidden = new float[list.Count * _hidden];
                for (int i = 0; i < list.Count; i++)
                {
                    normed.Slice(list[i] * _hidden, _hidden).CopyTo(hidden.AsSpan(i * _hidden, _hidden));
                }

                dispatch.Hidden = ExpertMessages.Rows(hidden, list.Count, _hidden);
                BytesMoved += (long)hidden.Length * sizeof(float);
                pending.Add((rank, ExchangeAsync(rank, dispatch)));
            }

            foreach (var (rank, answer) in pending)
            {
                Combine combine;
                try
                {
                    combine = answer.WaitAsync(_timeout).GetAwaiter().GetResult();
                }
                catch (Exception e) when (e is RpcException or TimeoutException or IOException or HttpRequestException or InvalidOperationException or FormatException)
                {
                    Drop(rank);
                    throw new ExpertPeerException($"rank {rank} ({_topology.Peers[rank]}) did not combine layer {layer} of step {step}: {e.Message}", e);
                }

                var list = tokenLists[rank]!;
                var result = ExpertMessages.Read(combine.Output, list.Count, _hidden);
                BytesMoved += (long)combine.Output.Data.Length;
                for (int i = 0; i < list.Count; i++)
                {
                    var target = output.Slice(list[i] * _hidden, _hidden);
                    var source = result.Slice(i * _hidden, _hidden);
                    for (int h = 0; h < _hidden; h++)
                    {
                        target[h] += source[h];
                    }
                }
            }

            if (pending.Count > 0)
            {
                var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
                Exchanges++;
                ExchangeTime += elapsed;
                ExchangeObserved?.Invoke(elapsed);
            }

        }
    }

    /// <summary>Called with each exchange's duration (the dispatch latency metric).</summary>
    public Action<TimeSpan>? ExchangeObserved { get; set; }

    /// <summary>The placement in use, per layer.</summary>
    public ExpertPlacement?[] Placements
    {
        get
        {
            lock (_lock)
            {
                return _placements;
            }
        }
    }

    /// <summary>
    /// Routes by <paramref name="next"/> from the next MoE layer on. Takes the lock every exchange holds, so when this
    /// returns no dispatch made under the old placement is still waiting for its answer.
    /// </summary>
    public void SwitchPlacements(ExpertPlacement?[] next)
    {
        lock (_lock)
        {
            _placements = next;
        }
    }

    public void Dispose()
    {
        for (int rank = 0; rank < _links.Length; rank++)
        {
            Drop(rank);
        }
    }

    private async Task<Combine> ExchangeAsync(int rank, Dispatch dispatch)
    {
        var link = _links[rank] ??= Link.Open(_topology.PeerUri(rank));
        await link.Call.WriteAsync(dispatch).ConfigureAwait(false);
        if (!await link.Responses.MoveNextAsync().ConfigureAwait(false))
        {
            throw new IOException("the stream ended");
        }

        var combine = link.Responses.Current;
        return combine.Step == dispatch.Step && combine.Layer == dispatch.Layer
            ? combine
            : throw new FormatException($"answer for step {combine.Step} layer {combine.Layer}, expected step {dispatch.Step} layer {dispatch.Layer}");
    }

    private void Drop(int rank)
    {
        var link = _links[rank];
        _links[rank] = null;
        link?.Dispose();
    }

    private sealed class Link : IDisposable
    {
        private Link(GrpcChannel channel, ClientCall<Dispatch, Combine> call)
        {
            Channel = channel;
            Call = call;
            Responses = call.ReadAllAsync().GetAsyncEnumerator();
        }

        public GrpcChannel Channel { get; }

        public ClientCall<Dispatch, Combine> Call { get; }

        public IAsyncEnumerator<Combine> Responses { get; }

        public static Link Open(Uri peer)
        {
            var channel = new GrpcChannel(peer,
                new GrpcChannelOptions { MaxReceiveMessageSize = 256 * 1024 * 1024, MaxSendMessageSize = 256 * 1024 * 1024 });
            return new Link(channel, channel.Start(WorkerMethods.Exchange));
        }

        public void Dispose()
        {
            Call.Cancel();
            Call.Dispose();
            Channel.Dispose();
        }
    }
}

/// <summary>A peer of the group could not compute its experts for a step.</summary>
public sealed class ExpertPeerException : Exception
{
    public ExpertPeerException()
    {
    }

    public ExpertPeerException(string message)
        : base(message)
    {
    }

    public ExpertPeerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
