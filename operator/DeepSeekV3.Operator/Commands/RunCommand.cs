using System.Globalization;
using System.Runtime.InteropServices;
using DeepSeekV3.Operator.Controller;

namespace DeepSeekV3.Operator.Commands;

/// <summary><c>deepseek-operator run</c>: the controller, against the cluster of the pod, --kubeconfig or $KUBECONFIG.</summary>
public static class RunCommand
{
    public const string Usage = "deepseek-operator run [--kubeconfig FILE] [--context NAME] [--namespace NS] [--workers N] [--metrics-port PORT] [--bind-address IP] [--leader-elect] [--lease-namespace NS] [--lease-name NAME] [--identity ID] [--drain-seconds S] [--lease-duration-seconds S]";

    public static int Run(IReadOnlyList<string> arguments, TextWriter error)
    {
        var options = Parse(arguments);
        using var stop = new CancellationTokenSource();
        // SIGTERM from the kubelet and Ctrl-C both stop gracefully: workers finish, the Lease is released.
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
        try
        {
            return OperatorHost.RunAsync(options, stop.Token).GetAwaiter().GetResult();
        }
        catch (InvalidOperationException e) when (e.Message.StartsWith("kubeconfig", StringComparison.Ordinal) || e.Message.StartsWith("no Kubernetes connection", StringComparison.Ordinal))
        {
            error.WriteLine($"deepseek-operator: {e.Message}");
            return 1;
        }
    }

    public static OperatorOptions Parse(IReadOnlyList<string> arguments)
    {
        var options = new OperatorOptions();
        for (int i = 0; i < arguments.Count; i++)
        {
            string flag = arguments[i];
            string Value() => ++i < arguments.Count ? arguments[i] : throw new UsageException($"{flag} needs a value\n{Usage}");
            int Number(int minimum) => int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= minimum
                ? n : throw new UsageException($"{flag} needs a whole number of at least {minimum}, not '{arguments[i]}'");
            switch (flag)
            {
                case "--kubeconfig": options.Kubeconfig = Value(); break;
                case "--context": options.Context = Value(); break;
                case "--namespace": options.WatchNamespace = Value(); break;
                case "--workers": options.Workers = Number(1); break;
                case "--metrics-port": options.MetricsPort = Number(0); break;
                case "--bind-address": options.BindAddress = Value(); break;
                case "--leader-elect": options.LeaderElect = true; break;
                case "--lease-namespace": options.LeaseNamespace = Value(); break;
                case "--lease-name": options.LeaseName = Value(); break;
                case "--identity": options.Identity = Value(); break;
                case "--drain-seconds": options.DrainPeriod = TimeSpan.FromSeconds(Number(0)); break;
                case "--lease-duration-seconds":
                    int seconds = Number(3);
                    // client-go's ratios: renew within 2/3 of the lease, retry at 2/15 of it.
                    options.LeaseDuration = TimeSpan.FromSeconds(seconds);
                    options.RenewDeadline = TimeSpan.FromSeconds(seconds * 2 / 3.0);
                    options.RetryPeriod = TimeSpan.FromSeconds(seconds * 2 / 15.0);
                    break;
                default: throw new UsageException($"unknown flag '{flag}'\n{Usage}");
            }
        }

        return options;
    }
}
