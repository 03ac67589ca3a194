using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Inference.Model;
using DeepSeekV3.Protos.V1;
using DeepSeekV3.Wire.Grpc;
using DeepSeekV3.Wire.Services;

namespace DeepSeekV3.Worker.Experts;

/// <summary>
/// deepseekv3.v1.Expert on every rank of a group: each Dispatch (the tokens a peer routed to this rank's experts, with
/// their expert ids and combine weights) is answered in order by one Combine holding Σ weight · expert(x) per token.
/// A malformed dispatch ends the stream with INVALID_ARGUMENT; the peer's step fails cleanly.
/// </summary>
public sealed class ExpertService(Func<Transformer?> model, Func<IComputeBackend?> backend, Func<RemoteExpertPeers?> peers)
{
    public void Bind(GrpcServiceBinder binder) => binder
        .DuplexStreaming(WorkerMethods.Exchange, ExchangeAsync)
        .Unary(WorkerMethods.Place, (update, _) => Task.FromResult(Place(update)));

    /// <summary>
    /// Prepare: hold the listed experts too. Switch: route this rank's own tokens by the new placement, between its
    /// steps. Commit: hold exactly the listed experts, between its steps.
    /// </summary>
    private PlacementAck Place(PlacementUpdate update)
    {
        var transformer = model() ?? throw new RpcException(StatusCode.Unavailable, "the model is still loading");
        int experts = transformer.Config.NRoutedExperts;
        if (update.Layers.Concat(update.Routing.Select(r => new LayerPlacement { Layer = r.Layer })).Any(l => !transformer.MoeLayers.Contains(l.Layer))
            || update.Layers.SelectMany(l => l.Experts).Concat(update.Routing.SelectMany(r => r.Ranks.SelectMany(k => k.Experts))).Any(e => e < 0 || e >= experts))
        {
            throw new RpcException(StatusCode.InvalidArgument, $"placement {update.Version}: a layer or an expert is out of range");
        }

        if (update.SwitchRouting)
        {
            var routing = peers() ?? throw new RpcException(StatusCode.FailedPrecondition, "this rank has no peers to route to");
            var next = (ExpertPlacement?[])routing.Placements.Clone();
            try
            {
                foreach (var layer in update.Routing)
                {
                    next[layer.Layer] = ExpertPlacement.FromRanks(experts, [.. layer.Ranks.Select(r => (IReadOnlyList<int>)[.. r.Experts])]);
                }
            }
            catch (ArgumentException e)
            {
                throw new RpcException(StatusCode.InvalidArgument, $"placement {update.Version}: {e.Message}");
            }

            transformer.BetweenSteps(() => routing.SwitchPlacements(next));
        }
        else if (update.Commit)
        {
            transformer.BetweenSteps(() =>
            {
                foreach (var layer in update.Layers)
                {
                    transformer.HoldExperts(layer.Layer, layer.Experts.ToHashSet());
                }
            });
        }
        else
        {
            foreach (var layer in update.Layers)
            {
                transformer.HoldExperts(layer.Layer, [.. transformer.HeldExperts(layer.Layer), .. layer.Experts]);
            }
        }

        return new PlacementAck { Version = update.Version, ExpertsHeld = transformer.MoeLayers.Sum(l => (long)transformer.HeldExperts(l).Count) };
    }

    private async Task ExchangeAsync(IAsyncEnumerable<Dispatch> dispatches, IServerStreamWriter<Combine> combines, ServerCallContext context)
    {
        await foreach (var dispatch in dispatches.WithCancellation(context.CancellationToken))
        {
            var transformer = model() ?? throw new RpcException(StatusCode.Unavailable, "the model is still loading");
            var compute = backend() ?? throw new RpcException(StatusCode.Unavailable, "the model is still loading");
            int hidden = transformer.Config.HiddenSize, tokens = dispatch.ExpertsPerToken.Count;
            float[] output;
            try
            {
                if (dispatch.ExpertIds.Count != dispatch.Weights.Count || dispatch.ExpertsPerToken.Sum() != dispatch.ExpertIds.Count)
                {
                    throw new FormatException($"{dispatch.ExpertIds.Count} expert ids, {dispatch.Weights.Count} weights and {dispatch.ExpertsPerToken.Sum()} slots per token disagree");
                }

                var x = ExpertMessages.Read(dispatch.Hidden, tokens, hidden);
                output = new float[tokens * hidden];
                transformer.RunExperts(compute, dispatch.Layer, x, tokens, [.. dispatch.ExpertIds], [.. dispatch.Weights], [.. dispatch.ExpertsPerToken], output);
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                throw new RpcException(StatusCode.InvalidArgument, $"dispatch of step {dispatch.Step}, layer {dispatch.Layer}: {e.Message}");
            }

            await combines.WriteAsync(new Combine { Step = dispatch.Step, Layer = dispatch.Layer, Output = ExpertMessages.Rows(output, tokens, hidden) }, context.CancellationToken);
        }
    }
}
