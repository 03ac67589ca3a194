using System.Diagnostics;
using DeepSeekV3.Kubernetes.Client;
using DeepSeekV3.Kubernetes.Runtime;
using DeepSeekV3.Operator.Metrics;
using Microsoft.Extensions.Logging;

namespace DeepSeekV3.Operator.Controller;

/// <summary>
/// The workers of the controller: each takes a key from the work queue, reconciles it, and puts it back after the
/// requested delay, or after its rate-limited backoff when the reconcile failed (a 409 from a stale cache, an
/// unreachable API server). The queue guarantees one worker per key at a time.
/// </summary>
public sealed class ControllerLoop
{
    private readonly WorkQueue<string> _queue;
    private readonly DeepSeekDeploymentReconciler _reconciler;
    private readonly OperatorMetrics _metrics;
    private readonly ILogger _logger;

    public ControllerLoop(WorkQueue<string> queue, DeepSeekDeploymentReconciler reconciler, OperatorMetrics metrics, ILogger logger)
    {
        _queue = queue;
        _reconciler = reconciler;
        _metrics = metrics;
        _logger = logger;
    }

    public Task RunAsync(int workers, CancellationToken cancellationToken) =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(() => WorkAsync(cancellationToken), CancellationToken.None)));

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            string key;
            try
            {
                key = await _queue.TakeAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            long start = Stopwatch.GetTimestamp();
            string result;
            try
            {
                int slash = key.IndexOf('/', StringComparison.Ordinal);
                var outcome = await _reconciler.ReconcileAsync(key[..slash], key[(slash + 1)..], cancellationToken).ConfigureAwait(false);
                _queue.Forget(key);
                if (outcome.RequeueAfter is { } delay)
                {
                    _queue.AddAfter(key, delay);
                }

                result = outcome.Invalid ? OperatorMetrics.Results.Invalid : outcome.RequeueAfter is null ? OperatorMetrics.Results.Success : OperatorMetrics.Results.Requeue;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return; // shutting down; the finally block hands the key back
            }
            catch (KubernetesApiException e) when (e.IsConflict || e.IsNotFound)
            {
                // The cache was behind the server: look again once it has caught up.
                _logger.LogDebug("{Key}: {Message}; retrying", key, e.Message);
                _queue.AddRateLimited(key);
                result = OperatorMetrics.Results.Requeue;
            }
            catch (Exception e) when (e is KubernetesApiException or HttpRequestException or OperationCanceledException or IOException)
            {
                _logger.LogWarning("{Key}: reconcile failed ({Failures} in a row): {Message}", key, _queue.Failures(key) + 1, e.Message);
                _queue.AddRateLimited(key);
                result = OperatorMetrics.Results.Error;
            }
            finally
            {
                _queue.Done(key);
            }

            _metrics.RecordReconcile(result, Stopwatch.GetElapsedTime(start));
        }
    }
}
