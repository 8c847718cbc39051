namespace EdgeCL.Device.Agent;

/// <summary>The agent cannot start (backbone, state or key unusable); the message is one line that says what to do.</summary>
public sealed class AgentStartException(string message) : Exception(message);
