namespace DeepSeekV3.Worker.Serving;

/// <summary>The roles of one dsv3 binary (see ARCHITECTURE.md "The serving engine").</summary>
public enum WorkerRole
{
    /// <summary>One process: the OpenAI API on a local engine.</summary>
    Combined,

    /// <summary>Runs prompts and streams their KV cache to decode workers (gRPC).</summary>
    Prefill,

    /// <summary>Receives KV caches and generates the rest (gRPC).</summary>
    Decode,

    /// <summary>The OpenAI API in front of prefill and decode workers; holds no weights.</summary>
    Router,
}
