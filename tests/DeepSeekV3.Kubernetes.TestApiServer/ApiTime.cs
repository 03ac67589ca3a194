using System.Globalization;

namespace DeepSeekV3.Kubernetes.TestApiServer;

/// <summary>metav1.Time as the API server writes it: RFC 3339, UTC, whole seconds.</summary>
public static class ApiTime
{
    public static string Now(TimeProvider time) => time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
