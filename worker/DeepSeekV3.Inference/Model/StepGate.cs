namespace DeepSeekV3.Inference.Model;

/// <summary>
/// Lets any number of model steps run at once, and a change run alone between them: the change waits for running
/// steps to finish, and steps arriving meanwhile wait for the change (so a stream of steps cannot starve it).
/// </summary>
internal sealed class StepGate
{
    private readonly object _monitor = new(); // Monitor.Wait/PulseAll need an object, not a System.Threading.Lock
    private int _running;
    private bool _changing;

    public void EnterStep()
    {
        lock (_monitor)
        {
            while (_changing)
            {
                Monitor.Wait(_monitor);
            }

            _running++;
        }
    }

    public void ExitStep()
    {
        lock (_monitor)
        {
            if (--_running == 0)
            {
                Monitor.PulseAll(_monitor);
            }
        }
    }

    public void Alone(Action change)
    {
        lock (_monitor)
        {
            while (_changing)
            {
                Monitor.Wait(_monitor);
            }

            _changing = true;
            while (_running > 0)
            {
                Monitor.Wait(_monitor);
            }
        }

        try
        {
            change();
        }
        finally
        {
            lock (_monitor)
            {
                _changing = false;
                Monitor.PulseAll(_monitor);
            }
        }
    }
}
