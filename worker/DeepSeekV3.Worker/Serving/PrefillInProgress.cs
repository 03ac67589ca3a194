using System.Threading.Channels;

namespace DeepSeekV3.Worker.Serving;

/// <summary>
/// A prefill in progress, as the prefill role streams it: each layer's cache rows for the prompt positions
/// ([prompt, RowLength]) arrive on <see cref="Layers"/> as soon as that layer is computed — so the transfer overlaps
/// the remaining layers — and <see cref="Completion"/> gives the first token and usage once the last layer is done.
/// </summary>
public sealed class PrefillInProgress(int layerCount, int rowLength)
{
    private readonly Channel<(int Layer, float[] Rows)> _layers = Channel.CreateUnbounded<(int, float[])>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource<(SampledToken First, GenerationUsage Usage)> _completion =
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int LayerCount => layerCount;

    public int RowLength => rowLength;

    public ChannelReader<(int Layer, float[] Rows)> Layers => _layers.Reader;

    public Task<(SampledToken First, GenerationUsage Usage)> Completion => _completion.Task;

    /// <summary>Waits for every layer and the first token (for callers that want the whole transfer at once).</summary>
    public async Task<PrefillOutput> CollectAsync(CancellationToken cancellationToken = default)
    {
        var rows = new float[layerCount][];
        await foreach (var (layer, layerRows) in Layers.ReadAllAsync(cancellationToken))
        {
            rows[layer] = layerRows;
        }

        var (first, usage) = await Completion;
        return new PrefillOutput(rows, rowLength, first, usage);
    }

    internal void WriteLayer(int layer, float[] rows) => _layers.Writer.TryWrite((layer, rows));

    internal void Complete(SampledToken first, GenerationUsage usage)
    {
        _layers.Writer.TryComplete();
        _completion.TrySetResult((first, usage));
    }

    internal void Fail(Exception error)
    {
        _layers.Writer.TryComplete(error);
        _completion.TrySetException(error);
    }
}
