using DeepSeekV3.Protos.V1;
using DeepSeekV3.Wire.Grpc;
using DeepSeekV3.Wire.Services;
using DeepSeekV3.Worker.Serving;

namespace DeepSeekV3.Worker.Rpc;

/// <summary>
/// deepseekv3.v1.Prefill on the prefill role: runs the prompt through this worker's engine (and its context cache) and
/// streams each layer's cache rows, in CRC-checked chunks below the message limit, as soon as the engine finishes that
/// layer — the transfer overlaps the compute of the later layers — and the first token last.
/// </summary>
public sealed class PrefillService(Func<Engine?> engine, int maxMessageBytes = 1 << 20)
{
    public void Bind(GrpcServiceBinder binder) => binder.ServerStreaming(WorkerMethods.Prefill, PrefillAsync);

    private async Task PrefillAsync(PrefillRequest request, IServerStreamWriter<PrefillChunk> responses, ServerCallContext context)
    {
        PrefillInProgress prefill;
        try
        {
            prefill = (engine() ?? throw new RpcException(StatusCode.Unavailable, "the model is loading or the worker is draining")).StartPrefill(
                new GenerationRequest(request.RequestId, [.. request.PromptTokenIds], ProtoMapping.FromProto(request.Sampling ?? new Protos.V1.SamplingParams())),
                context.CancellationToken);
        }
        catch (InvalidRequestException e)
        {
            throw new RpcException(StatusCode.InvalidArgument, $"{e.Parameter}: {e.Message}");
        }
        catch (EngineOverloadedException e)
        {
            throw new RpcException(StatusCode.ResourceExhausted, e.Message);
        }

        // Layers leave as the engine finishes them, while it computes the next ones.
        int chunks = 0;
        await foreach (var (layer, rows) in prefill.Layers.ReadAllAsync(context.CancellationToken))
        {
            foreach (var chunk in KvChunks.Split(layer, 0, rows, prefill.RowLength, maxMessageBytes))
            {
                await responses.WriteAsync(new PrefillChunk { Kv = chunk }, context.CancellationToken);
                chunks++;
            }
        }

        var (first, usage) = await prefill.Completion;
        await responses.WriteAsync(new PrefillChunk
        {
            FirstToken = new FirstToken
            {
                Token = ProtoMapping.ToProto(first, ""),
                Usage = ProtoMapping.ToProto(usage),
                TotalLayers = prefill.LayerCount,
                TotalChunks = chunks,
            },
        }, context.CancellationToken);
    }
}
