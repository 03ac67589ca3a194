using DeepSeekV3.Kubernetes.Client;
using DeepSeekV3.Kubernetes.Models;
using Microsoft.Extensions.Logging;

namespace DeepSeekV3.Kubernetes.Runtime;

/// <summary>
/// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it: a candidate takes the
/// lease when it is free or its holder has not renewed it for leaseDurationSeconds — judged by when this candidate
/// last saw the record change, on its own clock, so clock skew between nodes does not matter — and the leader
/// renews every retry period. Writes carry the resourceVersion, so two candidates cannot both win (409 Conflict).
/// A leader that cannot renew within the renew deadline stops leading; on shutdown it releases the lease so a
/// standby takes over at once.
/// </summary>
public sealed class LeaderElector
{
    private readonly KubernetesClient _client;
    private readonly string _namespace;
    private readonly string _name;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private string? _observedRecord;
    private DateTimeOffset _observedAt;

    public LeaderElector(KubernetesClient client, string @namespace, string leaseName, string identity, ILogger logger, TimeProvider? time = null)
    {
        _client = client;
        _namespace = @namespace;
        _name = leaseName;
        Identity = identity;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    public string Identity { get; }

    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    public bool IsLeader { get; private set; }

    /// <summary>Raised with true when this candidate starts leading and false when it stops.</summary>
    public event Action<bool>? LeadershipChanged;

    /// <summary>
    /// Campaigns until leading, runs <paramref name="lead"/> with a token cancelled when leadership is lost or
    /// <paramref name="cancellationToken"/> fires, then releases the lease. Returns when leading ends.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> lead, CancellationToken cancellationToken)
    {
        while (!await TryAcquireOrRenewAsync(cancellationToken).ConfigureAwait(false))
        {
            await Task.Delay(RetryPeriod, _time, cancellationToken).ConfigureAwait(false);
        }

        SetLeader(true);
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var work = lead(leading.Token);
        try
        {
            await RenewUntilLostAsync(leading.Token).ConfigureAwait(false);
        }
        finally
        {
            await leading.CancelAsync().ConfigureAwait(false);
            try
            {
                await work.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // the work stops because leading stopped
            }

            SetLeader(false);
            await ReleaseAsync().ConfigureAwait(false);
        }
    }

    private async Task RenewUntilLostAsync(CancellationToken cancellationToken)
    {
        var lastRenew = _time.GetUtcNow();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(RetryPeriod, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            bool renewed = await TryAcquireOrRenewAsync(cancellationToken).ConfigureAwait(false);
            var now = _time.GetUtcNow();
            if (renewed)
            {
                lastRenew = now;
            }
            else if (now - lastRenew >= RenewDeadline || _observedRecord is not null && !_observedRecord.StartsWith(Identity + "|", StringComparison.Ordinal))
            {
                _logger.LogWarning("lease {Name}: leadership lost (last renewed {Seconds:F1} s ago)", _name, (now - lastRenew).TotalSeconds);
                return;
            }
        }
    }

    private async Task<bool> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        try
        {
            var lease = await _client.GetAsync(ResourceKind.Leases, _namespace, _name, KubernetesJsonContext.Default.Lease, cancellationToken).ConfigureAwait(false);
            if (lease is null)
            {
                var created = await _client.CreateAsync(ResourceKind.Leases, NewLease(now), KubernetesJsonContext.Default.Lease, cancellationToken).ConfigureAwait(false);
                Observe(created, now);
                return true;
            }

            Observe(lease, now);
            var spec = lease.Spec ??= new LeaseSpec();
            bool held = !string.IsNullOrEmpty(spec.HolderIdentity) && spec.HolderIdentity != Identity;
            var duration = TimeSpan.FromSeconds(spec.LeaseDurationSeconds ?? (int)LeaseDuration.TotalSeconds);
            if (held && now - _observedAt < duration)
            {
                return false; // someone else holds a lease that has not expired by our observation
            }

            if (spec.HolderIdentity != Identity)
            {
                spec.LeaseTransitions = (spec.LeaseTransitions ?? 0) + 1;
                spec.AcquireTime = now;
            }

            spec.HolderIdentity = Identity;
            spec.LeaseDurationSeconds = (int)LeaseDuration.TotalSeconds;
            spec.RenewTime = now;
            var updated = await _client.ReplaceAsync(ResourceKind.Leases, lease, KubernetesJsonContext.Default.Lease, cancellationToken).ConfigureAwait(false);
            Observe(updated, now);
            return true;
        }
        catch (KubernetesApiException e) when (e.IsConflict || e.IsAlreadyExists)
        {
            return false; // another candidate wrote first
        }
        catch (Exception e) when (e is HttpRequestException or KubernetesApiException or TimeoutException
                                  || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            _logger.LogWarning("lease {Name}: {Message}", _name, e.Message);
            return false;
        }
    }

    private async Task ReleaseAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var lease = await _client.GetAsync(ResourceKind.Leases, _namespace, _name, KubernetesJsonContext.Default.Lease, timeout.Token).ConfigureAwait(false);
            if (lease?.Spec?.HolderIdentity != Identity)
            {
                return;
            }

            lease.Spec.HolderIdentity = "";
            lease.Spec.LeaseDurationSeconds = 1;
            await _client.ReplaceAsync(ResourceKind.Leases, lease, KubernetesJsonContext.Default.Lease, timeout.Token).ConfigureAwait(false);
            _logger.LogInformation("lease {Name}: released", _name);
        }
        catch (Exception e) when (e is HttpRequestException or KubernetesApiException or OperationCanceledException)
        {
            _logger.LogWarning("lease {Name}: not released ({Message}); a standby takes over when it expires", _name, e.Message);
        }
    }

    private Lease NewLease(DateTimeOffset now) => new()
    {
        ApiVersion = ResourceKind.Leases.ApiVersion,
        Kind = ResourceKind.Leases.Kind,
        Metadata = new ObjectMeta { Name = _name, Namespace = _namespace },
        Spec = new LeaseSpec
        {
            HolderIdentity = Identity,
            LeaseDurationSeconds = (int)LeaseDuration.TotalSeconds,
            AcquireTime = now,
            RenewTime = now,
            LeaseTransitions = 0,
        },
    };

    /// <summary>Remembers when the record (holder + renew time) last changed, on this candidate's clock.</summary>
    private void Observe(Lease lease, DateTimeOffset now)
    {
        string record = $"{lease.Spec?.HolderIdentity}|{lease.Spec?.RenewTime?.ToUnixTimeMilliseconds()}";
        if (record != _observedRecord)
        {
            _observedRecord = record;
            _observedAt = now;
        }
    }

    private void SetLeader(bool leading)
    {
        IsLeader = leading;
        _logger.LogInformation("lease {Name}: {Identity} {State}", _name, Identity, leading ? "is the leader" : "stopped leading");
        LeadershipChanged?.Invoke(leading);
    }
}
