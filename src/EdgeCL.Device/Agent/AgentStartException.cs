namespace EdgeCL.Device.Agent;

/// <summary>The agent cannot start (backbone, state or key unusable); the message is one line that says what to do.</summary>
public sealed class AgentStartException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">One line: what was wrong and what to do.</param>
    /// <param name="failure">What failed, which decides the exit code of <c>edgecl run</c>.</param>
    public AgentStartException(string message, AgentStartFailure failure = AgentStartFailure.State) : base(message)
    {
        Failure = failure;
    }

    /// <summary>What failed.</summary>
    public AgentStartFailure Failure { get; }
}

/// <summary>What stopped the agent from starting.</summary>
public enum AgentStartFailure
{
    /// <summary>The config is incomplete or wrong (exit 2).</summary>
    Config,

    /// <summary>The backbone is missing, corrupt or not an embedding model (exit 4).</summary>
    Model,

    /// <summary>The state folder, state database, signing key or trust folder cannot be used (exit 5).</summary>
    State,
}
