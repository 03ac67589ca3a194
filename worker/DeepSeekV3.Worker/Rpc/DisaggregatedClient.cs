using DeepSeekV3.Protos.V1;
using DeepSeekV3.Wire.Grpc;
using DeepSeekV3.Wire.Services;

namespace DeepSeekV3.Worker.Rpc;

/// <summary>
/// One request across a prefill and a decode worker, as the router runs it: the decode call is opened with the request
/// header, every message of the prefill stream (KV chunks as they are produced, then the first token) is relayed into
/// it as it arrives, so the transfer overlaps the prefill; the decode worker's tokens stream back to the caller.
/// </summary>
public static class DisaggregatedClient
{
    public static async IAsyncEnumerable<DecodeOutput> GenerateAsync(GrpcChannel prefill, GrpcChannel decode, DecodeHeader header,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var prefillRequest = new PrefillRequest { RequestId = header.RequestId, Sampling = header.Sampling };
        prefillRequest.PromptTokenIds.AddRange(header.PromptTokenIds);
        using var call = decode.Start(WorkerMethods.Generate, new CallOptions(CancellationToken: cancellationToken));
        await call.WriteAsync(new DecodeInput { Header = header });
        var relay = RelayAsync(prefill, prefillRequest, call, cancellationToken);
        await foreach (var output in call.ReadAllAsync())
        {
            yield return output;
        }

        await relay;
    }

    private static async Task RelayAsync(GrpcChannel prefill, PrefillRequest request, ClientCall<DecodeInput, DecodeOutput> decode,
        CancellationToken cancellationToken)
    {
        await foreach (var chunk in prefill.ServerStreamingAsync(WorkerMethods.Prefill, request, new CallOptions(CancellationToken: cancellationToken)))
        {
            await decode.WriteAsync(chunk.PayloadCase == PrefillChunk.PayloadOneofCase.Kv
                ? new DecodeInput { Kv = chunk.Kv }
                : new DecodeInput { FirstToken = chunk.FirstToken });
        }

        await decode.CompleteRequestsAsync();
    }
}
