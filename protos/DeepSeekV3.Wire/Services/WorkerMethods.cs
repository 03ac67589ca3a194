using DeepSeekV3.Protos.V1;
using DeepSeekV3.Wire.Grpc;

namespace DeepSeekV3.Wire.Services;

/// <summary>Method descriptors of the worker contracts (protos/deepseekv3/v1): what servers bind and clients call.</summary>
public static class WorkerMethods
{
    public static readonly Method<PrefillRequest, PrefillChunk> Prefill =
        new("deepseekv3.v1.Prefill", "Prefill", MethodType.ServerStreaming, PrefillRequest.Parser, PrefillChunk.Parser);

    public static readonly Method<DecodeInput, DecodeOutput> Generate =
        new("deepseekv3.v1.Decode", "Generate", MethodType.DuplexStreaming, DecodeInput.Parser, DecodeOutput.Parser);

    public static readonly Method<CancelRequest, CancelResponse> Cancel =
        new("deepseekv3.v1.Decode", "Cancel", MethodType.Unary, CancelRequest.Parser, CancelResponse.Parser);

    public static readonly Method<Dispatch, Combine> Exchange =
        new("deepseekv3.v1.Expert", "Exchange", MethodType.DuplexStreaming, Dispatch.Parser, Combine.Parser);

    public static readonly Method<PlacementUpdate, PlacementAck> Place =
        new("deepseekv3.v1.Expert", "Place", MethodType.Unary, PlacementUpdate.Parser, PlacementAck.Parser);

    public static readonly Method<LoadRequest, LoadReport> Load =
        new("deepseekv3.v1.Control", "Load", MethodType.Unary, LoadRequest.Parser, LoadReport.Parser);

    public static readonly Method<DrainRequest, DrainResponse> Drain =
        new("deepseekv3.v1.Control", "Drain", MethodType.Unary, DrainRequest.Parser, DrainResponse.Parser);

    public static readonly Method<InfoRequest, WorkerInfo> Info =
        new("deepseekv3.v1.Control", "Info", MethodType.Unary, InfoRequest.Parser, WorkerInfo.Parser);
}
