using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using DeepSeekV3.Worker.Tests.Api;
using YamlDotNet.RepresentationModel;

namespace DeepSeekV3.Worker.Tests.Metrics;

/// <summary>
/// /metrics against the real tools: Debian's promtool lints a live scrape, and a real Prometheus server scrapes a
/// running dsv3 server, answers rate() and histogram_quantile() queries with sensible values, and evaluates every
/// PromQL expression of the shipped dashboard and alert rules without an error.
/// </summary>
public sealed class PrometheusScrapeTests : IAsyncLifetime, IDisposable
{
    private const string Chat = """{"messages": [{"role": "user", "content": "Hello there, how are you?"}], "max_tokens": 4, "ignore_eos": true, "temperature": 0}""";

    private readonly TempModel _model = new();
    private ServerFixture _server = null!;

    public async Task InitializeAsync() => _server = await ServerFixture.StartAsync(_model.Path);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _model.Dispose();

    [Fact]
    public async Task Metrics_AfterRequests_PassPromtoolAndCountExactly()
    {
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(200, (await _server.PostAsync("/v1/chat/completions", Chat)).Status);
        }

        string metrics = await _server.Client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var (exitCode, output) = await RunAsync("promtool", ["check", "metrics"], metrics);

        Assert.True(exitCode == 0 && output.Trim().Length == 0, $"promtool: {output}");
        Assert.Contains("dsv3_generation_tokens_total 12\n", metrics, StringComparison.Ordinal);
        Assert.Contains("dsv3_requests_total{endpoint=\"/v1/chat/completions\",status=\"200\"} 3\n", metrics, StringComparison.Ordinal);
        Assert.Contains("dsv3_time_to_first_token_seconds_count 3\n", metrics, StringComparison.Ordinal);
        Assert.Contains("dsv3_inter_token_latency_seconds_count 9\n", metrics, StringComparison.Ordinal);
        Assert.Contains("process_resident_memory_bytes ", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prometheus_ScrapesServer_AnswersQueriesAndEveryShippedExpressionEvaluates()
    {
        string directory = Path.Combine(Path.GetTempPath(), "dsv3-prometheus-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        int port = FreePort();
        string rules = Path.Combine(ChartFiles, "dsv3-alerts.rules.yaml");
        File.WriteAllText(Path.Combine(directory, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files:
              - {rules}
            scrape_configs:
              - job_name: dsv3-worker
                static_configs:
                  - targets: ['{_server.Client.BaseAddress!.Authority}']
            """);
        using var prometheus = Process.Start(new ProcessStartInfo("prometheus",
        [
            $"--config.file={Path.Combine(directory, "prometheus.yml")}", $"--storage.tsdb.path={Path.Combine(directory, "data")}",
            $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
        ])
        { RedirectStandardOutput = true, RedirectStandardError = true })!;
        using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        using var load = new CancellationTokenSource();
        var traffic = SendTrafficAsync(load.Token);
        try
        {
            // Several scrapes of a server under load, so rates and quantiles have data.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            while (await ScalarAsync(api, "count_over_time(dsv3_generation_tokens_total[1m])", timeout.Token) is not >= 4)
            {
                await Task.Delay(250, timeout.Token);
            }

            double rate = await ScalarAsync(api, "sum(rate(dsv3_generation_tokens_total[1m]))", timeout.Token) ?? double.NaN;
            double ttft = await ScalarAsync(api,
                "histogram_quantile(0.5, sum by (le) (rate(dsv3_time_to_first_token_seconds_bucket[1m])))", timeout.Token) ?? double.NaN;
            Assert.True(rate > 0, $"rate of generated tokens: {rate}");
            Assert.True(ttft is > 0 and < 60, $"median time to first token: {ttft} s");

            foreach (string expression in ShippedExpressions(rules))
            {
                using var response = await api.GetAsync(new Uri("/api/v1/query?query=" + Uri.EscapeDataString(expression), UriKind.Relative), timeout.Token);
                string body = await response.Content.ReadAsStringAsync(timeout.Token);
                Assert.True(response.IsSuccessStatusCode && body.Contains("\"status\":\"success\"", StringComparison.Ordinal),
                    $"Prometheus rejected `{expression}`: {body}");
            }
        }
        finally
        {
            await load.CancelAsync();
            await traffic;
            prometheus.Kill(entireProcessTree: true);
            await prometheus.WaitForExitAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string ChartFiles => Path.Combine(GoldenData.RepositoryRoot, "charts", "deepseek-operator", "files");

    /// <summary>Every "expr" of the dashboard's panels and of the alert rules.</summary>
    private static List<string> ShippedExpressions(string rulesPath)
    {
        var expressions = new List<string>();
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(ChartFiles, "dashboards", "dsv3-overview.json")));
        foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
        {
            expressions.AddRange(panel.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!));
        }

        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(rulesPath)));
        var groups = (YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode).Children[new YamlScalarNode("groups")];
        foreach (YamlMappingNode group in groups.Cast<YamlMappingNode>())
        {
            foreach (YamlMappingNode rule in ((YamlSequenceNode)group.Children[new YamlScalarNode("rules")]).Cast<YamlMappingNode>())
            {
                expressions.Add(((YamlScalarNode)rule.Children[new YamlScalarNode("expr")]).Value!);
            }
        }

        Assert.True(expressions.Count >= 20, $"only {expressions.Count} expressions found");
        return expressions;
    }

    private async Task SendTrafficAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await _server.PostAsync("/v1/chat/completions", Chat);
                await Task.Delay(100, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task<double?> ScalarAsync(HttpClient api, string query, CancellationToken cancellationToken)
    {
        try
        {
            string body = await api.GetStringAsync(new Uri("/api/v1/query?query=" + Uri.EscapeDataString(query), UriKind.Relative), cancellationToken);
            var result = JsonDocument.Parse(body).RootElement.GetProperty("data").GetProperty("result");
            return result.GetArrayLength() == 0 ? null
                : double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException)
        {
            return null; // Prometheus is still starting
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] arguments, string input)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        string output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }
}
