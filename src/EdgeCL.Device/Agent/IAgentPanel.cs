namespace EdgeCL.Device.Agent;

/// <summary>The agent's physical interface: a teach button in, four status lights out (GPIO on a device, simulated on a laptop).</summary>
public interface IAgentPanel : IDisposable
{
    /// <summary>Raised (on any thread) when the teach button has been held long enough to start teaching.</summary>
    event EventHandler? TeachHeld;

    /// <summary>Raised (on any thread) when the teach button is held on to the "not this" time: the last recognition was a false alarm.</summary>
    event EventHandler? NotThisHeld;

    /// <summary>Sets the status lights; called from the agent loop whenever one may have changed.</summary>
    void Show(bool learning, bool adapting, bool synced, bool error);

    /// <summary>A sample's result, for a panel that can show it (a status display); called from the agent loop after every
    /// sample, so it must return at once and allocate nothing.</summary>
    void ShowResult(AgentResult result)
    {
    }
}
