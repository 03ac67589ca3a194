namespace DeepSeekV3.Wire.Grpc;

/// <summary>Per-call settings of a client call.</summary>
public readonly record struct CallOptions(Metadata? Headers = null, DateTime? Deadline = null, CancellationToken CancellationToken = default);
