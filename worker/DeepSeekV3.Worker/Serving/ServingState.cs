namespace DeepSeekV3.Worker.Serving;

/// <summary>
/// What the HTTP side sees of the model: nothing until loading finished (the server answers 503 meanwhile), then
/// the engine. Written once by the loader, read by request threads.
/// </summary>
public sealed class ServingState(string modelName)
{
    private volatile IGenerationService? _engine;
    private volatile string? _loadError;

    public string ModelName => modelName;

    public IGenerationService? Engine => _engine;

    public string? LoadError => _loadError;

    public bool IsReady => _engine is not null;

    /// <summary>Told to drain: no new requests; in-flight ones finish.</summary>
    public bool Draining { get; set; }

    public void SetReady(IGenerationService engine) => _engine = engine;

    public void SetFailed(string error) => _loadError = error;
}
