using DeepSeekV3.Protos.V1;
using DeepSeekV3.Wire.Grpc;
using DeepSeekV3.Wire.Services;
using DeepSeekV3.Worker.Serving;

namespace DeepSeekV3.Worker.Rpc;

/// <summary>
/// deepseekv3.v1.Prefill on the prefill role: runs the prompt through this worker's engine (and its context cache),
/// then streams every layer's cache rows in CRC-checked chunks below the message limit, and the first token last.
/// </summary>
public sealed class PrefillService(Func<Engine?> engine, int maxMessageBytes = 1 << 20)
{
    public void Bind(GrpcServiceBinder binder) => binder.ServerStreaming(WorkerMethods.Prefill, PrefillAsync);

    private async Task PrefillAsync(PrefillRequest request, IServerStreamWriter<PrefillChunk> responses, ServerCallContext context)
    {
        PrefillOutput output;
        try
        {
            output = await (engine() ?? throw new RpcException(StatusCode.Unavailable, "the model is loading or the worker is draining")).PrefillAsync(
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

        int chunks = 0;
        for (int layer = 0; layer < output.LayerRows.Length; layer++)
        {
            foreach (var chunk in KvChunks.Split(layer, 0, output.LayerRows[layer], output.RowLength, maxMessageBytes))
            {
                await responses.WriteAsync(new PrefillChunk { Kv = chunk }, context.CancellationToken);
                chunks++;
            }
        }

        await responses.WriteAsync(new PrefillChunk
        {
            FirstToken = new FirstToken
            {
                Token = ProtoMapping.ToProto(output.FirstToken, ""),
                Usage = ProtoMapping.ToProto(output.Usage),
                TotalLayers = output.LayerRows.Length,
                TotalChunks = chunks,
            },
        }, context.CancellationToken);
    }
}
