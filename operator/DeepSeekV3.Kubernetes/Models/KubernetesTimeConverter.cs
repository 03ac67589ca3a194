using System.Globalization;

namespace DeepSeekV3.Kubernetes.Models;

/// <summary>
/// metav1.Time: RFC 3339 in UTC with whole seconds ("2026-11-22T16:00:00Z"), as the API server writes it.
/// Reading accepts any RFC 3339 offset and fractional seconds.
/// </summary>
public sealed class KubernetesTimeConverter() : RfcTimeConverter(Format)
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    /// <summary>A time as metav1.Time text, for hand-built JSON (patches).</summary>
    public static string Text(DateTimeOffset time) => time.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);
}
