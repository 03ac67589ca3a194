namespace DeepSeekV3.Kubernetes.Models;

/// <summary>
/// metav1.MicroTime: RFC 3339 in UTC with six fractional digits ("2026-11-22T16:00:00.123456Z"), used by
/// Lease acquire/renew times and Event eventTime, where whole seconds are too coarse.
/// </summary>
public sealed class KubernetesMicroTimeConverter() : RfcTimeConverter("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'");
