namespace DeepSeekV3.Operator.Desired;

/// <summary>Container ports of the dsv3 worker and router (dsv3 serve --grpc-port / --port).</summary>
public static class Ports
{
    /// <summary>Workers' gRPC: Prefill/Decode/Expert/Control services and grpc.health.v1 (the probes' target).</summary>
    public const int WorkerGrpc = 50051;

    /// <summary>Workers' HTTP: /health and /metrics.</summary>
    public const int WorkerHttp = 8080;

    /// <summary>The router's OpenAI API, /health and /metrics.</summary>
    public const int RouterHttp = 8000;
}
