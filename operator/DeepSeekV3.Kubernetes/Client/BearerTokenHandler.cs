using System.Net.Http.Headers;

namespace DeepSeekV3.Kubernetes.Client;

/// <summary>
/// Adds "Authorization: Bearer" to every request. A token file is re-read once a minute because projected
/// service-account tokens are rotated by the kubelet (bound service account tokens expire; client-go re-reads too).
/// </summary>
public sealed class BearerTokenHandler : DelegatingHandler
{
    private static readonly TimeSpan RereadInterval = TimeSpan.FromMinutes(1);
    private readonly Func<string> _readToken;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private string? _token;
    private DateTimeOffset _readAt;

    public BearerTokenHandler(Func<string> readToken, HttpMessageHandler inner, TimeProvider? time = null)
        : base(inner)
    {
        _readToken = readToken;
        _time = time ?? TimeProvider.System;
    }

    public static BearerTokenHandler FromFile(string path, HttpMessageHandler inner) => new(() => File.ReadAllText(path).Trim(), inner);

    public static BearerTokenHandler FromValue(string token, HttpMessageHandler inner) => new(() => token, inner);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", CurrentToken());
        return base.SendAsync(request, cancellationToken);
    }

    private string CurrentToken()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (_token is null || now - _readAt >= RereadInterval)
            {
                _token = _readToken();
                _readAt = now;
            }

            return _token;
        }
    }
}
