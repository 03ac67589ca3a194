using DeepSeekV3.Protos.V1;
using DeepSeekV3.Wire.Grpc;
using DeepSeekV3.Wire.Services;

namespace DeepSeekV3.Worker.Rpc;

/// <summary>
/// One request across a prefill and a decode worker, as the router runs it: the decode call is opened with the request
/// header, every message of the prefill stream (KV chunks as they are produced, then the first token) is relayed into
/// it as it arrives, so the transfer overlaps the prefill; the decode worker's tokens stream back to the caller.
/// A failure of the decode side surfaces as <see cref="RpcException"/>; of the prefill side as
/// <see cref="PrefillFailedException"/>, after the decode call is cancelled — so the caller knows which worker failed.
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
        await using var outputs = call.ReadAllAsync().GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            bool more;
            try
            {
                more = await outputs.MoveNextAsync();
            }
            catch (RpcException) when (relay is { IsCompleted: true, Result: { } prefillError })
            {
                throw new PrefillFailedException(prefillError);
            }

            if (!more)
            {
                break;
            }

            yield return outputs.Current;
        }
    }

    /// <summary>Relays the prefill stream; on failure cancels the decode call and returns the prefill's error.</summary>
    private static async Task<RpcException?> RelayAsync(GrpcChannel prefill, PrefillRequest request, ClientCall<DecodeInput, DecodeOutput> decode,
        CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var chunk in prefill.ServerStreamingAsync(WorkerMethods.Prefill, request, new CallOptions(CancellationToken: cancellationToken)))
            {
                await decode.WriteAsync(chunk.PayloadCase == PrefillChunk.PayloadOneofCase.Kv
                    ? new DecodeInput { Kv = chunk.Kv }
                    : new DecodeInput { FirstToken = chunk.FirstToken });
            }

            await decode.CompleteRequestsAsync();
            return null;
        }
        catch (RpcException e)
        {
            decode.Cancel();
            return e;
        }
    }
}
