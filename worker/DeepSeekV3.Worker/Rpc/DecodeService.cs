using System.Collections.Concurrent;
using DeepSeekV3.Protos.V1;
using DeepSeekV3.Wire.Grpc;
using DeepSeekV3.Wire.Services;
using DeepSeekV3.Worker.Serving;

namespace DeepSeekV3.Worker.Rpc;

/// <summary>
/// deepseekv3.v1.Decode on the decode role: receives a request header, the prefill's KV chunks and first token,
/// checks that every chunk is intact and every position of every layer arrived — an incomplete or corrupted transfer
/// is refused (DATA_LOSS) and never decoded from — then generates the rest and streams the tokens back.
/// </summary>
public sealed class DecodeService(Func<Engine?> engine)
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);

    public void Bind(GrpcServiceBinder binder) => binder
        .DuplexStreaming(WorkerMethods.Generate, GenerateAsync)
        .Unary(WorkerMethods.Cancel, (request, _) =>
        {
            bool found = _running.TryGetValue(request.RequestId, out var cancellation);
            cancellation?.Cancel();
            return Task.FromResult(new CancelResponse { Found = found });
        });

    private async Task GenerateAsync(IAsyncEnumerable<DecodeInput> inputs, IServerStreamWriter<DecodeOutput> outputs, ServerCallContext context)
    {
        var (header, prefilled) = await ReceiveAsync(inputs);
        var request = new GenerationRequest(header.RequestId, [.. header.PromptTokenIds], ProtoMapping.FromProto(header.Sampling ?? new Protos.V1.SamplingParams()));
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        _running[header.RequestId] = cancellation;
        try
        {
            System.Threading.Channels.ChannelReader<GenerationEvent> events;
            try
            {
                events = (engine() ?? throw new RpcException(StatusCode.Unavailable, "the model is loading or the worker is draining"))
                    .SubmitPrefilled(request, prefilled, cancellation.Token);
            }
            catch (InvalidRequestException e)
            {
                throw new RpcException(StatusCode.InvalidArgument, $"{e.Parameter}: {e.Message}");
            }
            catch (EngineOverloadedException e)
            {
                throw new RpcException(StatusCode.ResourceExhausted, e.Message);
            }

            await foreach (var item in events.ReadAllAsync(CancellationToken.None))
            {
                if (item.Token is { } token)
                {
                    await outputs.WriteAsync(new DecodeOutput { Token = ProtoMapping.ToProto(token, item.Text) }, context.CancellationToken);
                }

                if (item is { Finish: { } finish, Usage: { } usage })
                {
                    await outputs.WriteAsync(new DecodeOutput
                    {
                        Finish = new Finish { Reason = ProtoMapping.ToProto(finish), Usage = ProtoMapping.ToProto(usage), Text = item.Text },
                    }, context.CancellationToken);
                }
            }
        }
        finally
        {
            _running.TryRemove(header.RequestId, out _);
        }
    }

    private static async Task<(DecodeHeader Header, PrefillOutput Prefilled)> ReceiveAsync(IAsyncEnumerable<DecodeInput> inputs)
    {
        DecodeHeader? header = null;
        FirstToken? first = null;
        var layers = new Dictionary<int, SortedDictionary<int, float[]>>();
        int chunks = 0, rowLength = 0;
        await foreach (var input in inputs)
        {
            switch (input.PayloadCase)
            {
                case DecodeInput.PayloadOneofCase.Header:
                    header = input.Header;
                    break;
                case DecodeInput.PayloadOneofCase.Kv:
                    var kv = input.Kv;
                    rowLength = kv.Rows?.Shape.Count == 2 ? (int)kv.Rows.Shape[1] : 0;
                    float[] rows;
                    try
                    {
                        rows = KvChunks.Verify(kv, rowLength);
                    }
                    catch (InvalidDataException e)
                    {
                        throw new RpcException(StatusCode.DataLoss, e.Message);
                    }

                    if (!layers.TryGetValue(kv.Layer, out var positions))
                    {
                        layers[kv.Layer] = positions = [];
                    }

                    positions[kv.StartPosition] = rows;
                    chunks++;
                    break;
                case DecodeInput.PayloadOneofCase.FirstToken:
                    first = input.FirstToken;
                    break;
                default:
                    throw new RpcException(StatusCode.InvalidArgument, "a DecodeInput without payload");
            }
        }

        if (header is null || first is null)
        {
            throw new RpcException(StatusCode.InvalidArgument, "the stream needs a header and a first_token");
        }

        if (chunks != first.TotalChunks || layers.Count != first.TotalLayers)
        {
            throw new RpcException(StatusCode.DataLoss,
                $"incomplete KV transfer: {chunks} of {first.TotalChunks} chunks, {layers.Count} of {first.TotalLayers} layers");
        }

        int prompt = header.PromptTokenIds.Count;
        var layerRows = new float[first.TotalLayers][];
        for (int layer = 0; layer < first.TotalLayers; layer++)
        {
            if (!layers.TryGetValue(layer, out var positions))
            {
                throw new RpcException(StatusCode.DataLoss, $"incomplete KV transfer: layer {layer} is missing");
            }

            layerRows[layer] = new float[prompt * rowLength];
            int covered = 0;
            foreach (var (start, rows) in positions)
            {
                if (start != covered || start * rowLength + rows.Length > layerRows[layer].Length)
                {
                    throw new RpcException(StatusCode.DataLoss, $"incomplete KV transfer: layer {layer} has a gap or overlap at position {start}");
                }

                rows.CopyTo(layerRows[layer], start * rowLength);
                covered = start + (rows.Length / rowLength);
            }

            if (covered != prompt)
            {
                throw new RpcException(StatusCode.DataLoss, $"incomplete KV transfer: layer {layer} covers {covered} of {prompt} positions");
            }
        }

        return (header, new PrefillOutput(layerRows, rowLength, ProtoMapping.FromProto(first.Token), ProtoMapping.FromProto(first.Usage)));
    }
}
