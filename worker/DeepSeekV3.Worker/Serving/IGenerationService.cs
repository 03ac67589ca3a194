using System.Threading.Channels;
using DeepSeekV3.Inference.Tokenization;

namespace DeepSeekV3.Worker.Serving;

/// <summary>
/// What the OpenAI API needs from whatever generates: the local <see cref="Engine"/> (combined role) or the router's
/// remote prefill/decode workers. The API code is the same for both.
/// </summary>
public interface IGenerationService
{
    Tokenizer? Tokenizer { get; }

    /// <summary>Prompt plus completion tokens a request may need at most.</summary>
    int MaxModelLength { get; }

    /// <summary>Load figures for /health, or null when there is no local engine.</summary>
    EngineStats? Stats { get; }

    /// <summary>Queues a request; its events end with a final event (see <see cref="Engine.Submit"/>).</summary>
    ChannelReader<GenerationEvent> Submit(GenerationRequest request, CancellationToken cancellationToken = default);
}
