namespace EdgeCL.Device.Agent;

/// <summary>An open teaching session: the next <see cref="Remaining"/> unlabelled samples become examples of <see cref="Label"/>.</summary>
internal sealed class TeachSession(string label, int shots, long deadlineTimestamp, string trigger)
{
    public string Label { get; } = label;

    public int Shots { get; } = shots;

    public int Learned { get; private set; }

    public int Remaining => Shots - Learned;

    public long DeadlineTimestamp { get; } = deadlineTimestamp;

    public string Trigger { get; } = trigger;

    public void CountOne() => Learned++;
}
