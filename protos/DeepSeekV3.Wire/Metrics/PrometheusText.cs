using System.Globalization;
using System.Text;

namespace DeepSeekV3.Wire.Metrics;

/// <summary>
/// The Prometheus text exposition format 0.0.4 (prometheus/docs exposition_formats.md) and its OpenMetrics 1.0
/// variant, rule by rule: metric and label names, escaping, number formatting, and histogram series.
/// </summary>
public static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";
    public const string OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    /// <summary>Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*: anything else becomes '_'.</summary>
    public static string MetricName(string name) => Sanitize(name, allowColon: true);

    /// <summary>Label names match [a-zA-Z_][a-zA-Z0-9_]* (and may not start with __, reserved).</summary>
    public static string LabelName(string name)
    {
        string sanitized = Sanitize(name, allowColon: false);
        return sanitized.StartsWith("__", StringComparison.Ordinal) ? "x" + sanitized : sanitized;
    }

    /// <summary>"label_value can be any sequence of UTF-8 characters, but the backslash, the double-quote, and the line feed characters have to be escaped as \\, \", and \n."</summary>
    public static string EscapeLabelValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>HELP text: "backslash and line feed characters have to be escaped as \\ and \n".</summary>
    public static string EscapeHelp(string help) =>
        help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>Float values in Go's ParseFloat syntax; infinities as +Inf/-Inf, not-a-number as NaN.</summary>
    public static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>{a="1",b="2"} with names sorted, so equal label sets always print alike; "" when empty.</summary>
    public static string FormatLabels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return "";
        }

        var pairs = new List<(string Name, string Value)>(tags.Length);
        foreach (var tag in tags)
        {
            pairs.Add((LabelName(tag.Key), EscapeLabelValue(Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "")));
        }

        pairs.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return "{" + string.Join(",", pairs.Select(p => $"{p.Name}=\"{p.Value}\"")) + "}";
    }

    /// <summary>Adds a label (e.g. le) to an already formatted label set.</summary>
    public static string WithLabel(string labels, string name, string value) =>
        labels.Length == 0 ? $"{{{name}=\"{value}\"}}" : $"{labels[..^1]},{name}=\"{value}\"}}";

    private static string Sanitize(string name, bool allowColon)
    {
        var builder = new StringBuilder(name.Length);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            bool ok = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_' || (allowColon && c == ':') || (i > 0 && c is >= '0' and <= '9');
            builder.Append(ok ? c : '_');
        }

        return builder.Length == 0 ? "_" : builder.ToString();
    }
}
