using System.Globalization;
using System.Text;

namespace DeepSeekV3.Wire.Grpc;

/// <summary>
/// The gRPC over HTTP/2 wire rules (grpc/grpc doc/PROTOCOL-HTTP2.md) shared by server and client: header names,
/// content type, grpc-timeout and grpc-message encodings, and the HTTP status → gRPC status mapping.
/// </summary>
public static class GrpcProtocol
{
    public const string ContentType = "application/grpc";
    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";
    public const string TimeoutHeader = "grpc-timeout";
    public const string EncodingHeader = "grpc-encoding";
    public const string AcceptEncodingHeader = "grpc-accept-encoding";
    public const string SupportedEncodings = "identity,gzip";

    /// <summary>"Content-Type → application/grpc [("+proto" / "+json" / {custom})]".</summary>
    public static bool IsGrpcContentType(string? contentType) =>
        contentType is not null
        && contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase)
        && (contentType.Length == ContentType.Length || contentType[ContentType.Length] is '+' or ';');

    /// <summary>
    /// "Timeout → TimeoutValue TimeoutUnit": at most 8 ASCII digits, unit H, M, S, m (milli), u (micro), n (nano).
    /// </summary>
    public static bool TryParseTimeout(string? text, out TimeSpan timeout)
    {
        timeout = default;
        if (text is null || text.Length < 2 || text.Length > 9
            || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long value))
        {
            return false;
        }

        double ticks = text[^1] switch
        {
            'H' => value * (double)TimeSpan.TicksPerHour,
            'M' => value * (double)TimeSpan.TicksPerMinute,
            'S' => value * (double)TimeSpan.TicksPerSecond,
            'm' => value * (double)TimeSpan.TicksPerMillisecond,
            'u' => value * (TimeSpan.TicksPerMillisecond / 1000.0),
            'n' => value / 100.0,
            _ => -1,
        };
        if (ticks < 0)
        {
            return false;
        }

        timeout = TimeSpan.FromTicks((long)Math.Min(ticks, TimeSpan.MaxValue.Ticks));
        return true;
    }

    /// <summary>The shortest exact-enough encoding within the 8-digit limit, rounding up so a deadline is never shortened.</summary>
    public static string FormatTimeout(TimeSpan timeout)
    {
        long ticks = Math.Max(0, timeout.Ticks);
        (char Unit, long TicksPer)[] units = [('n', 0), ('u', 10), ('m', TimeSpan.TicksPerMillisecond), ('S', TimeSpan.TicksPerSecond),
            ('M', TimeSpan.TicksPerMinute), ('H', TimeSpan.TicksPerHour)];
        foreach (var (unit, ticksPer) in units)
        {
            long value = unit == 'n' ? ticks * 100 : (ticks + ticksPer - 1) / ticksPer;
            if (value < 100_000_000)
            {
                return value.ToString(CultureInfo.InvariantCulture) + unit;
            }
        }

        return "99999999H";
    }

    /// <summary>
    /// grpc-message is percent-encoded: "Percent-Byte-Unencoded → 1*( %x20-%x24 / %x26-%x7E )", everything else,
    /// including '%', as %XX of its UTF-8 bytes.
    /// </summary>
    public static string EncodeMessage(string message)
    {
        var builder = new StringBuilder(message.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(message))
        {
            if (b is >= 0x20 and <= 0x7E && b != (byte)'%')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>Decodes a grpc-message; malformed escapes are kept as they are (the spec says never fail on them).</summary>
    public static string DecodeMessage(string? encoded)
    {
        if (string.IsNullOrEmpty(encoded) || !encoded.Contains('%', StringComparison.Ordinal))
        {
            return encoded ?? "";
        }

        var bytes = new List<byte>(encoded.Length);
        for (int i = 0; i < encoded.Length; i++)
        {
            if (encoded[i] == '%' && i + 2 < encoded.Length
                && byte.TryParse(encoded.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte value))
            {
                bytes.Add(value);
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(encoded[i].ToString()));
            }
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }

    /// <summary>
    /// The status a client reports when the HTTP response itself is not a gRPC response (doc/http-grpc-status-mapping.md).
    /// </summary>
    public static StatusCode FromHttpStatus(int httpStatus) => httpStatus switch
    {
        400 => StatusCode.Internal,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.Unimplemented,
        429 or 502 or 503 or 504 => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };
}
