namespace EdgeCL.Sync.Tests.Brokers;

/// <summary>A test class with a fresh broker (<see cref="CreateBroker"/>) started before each test; whatever the test
/// hands to <see cref="Own{T}"/> is disposed after it, newest first, then the broker.</summary>
public abstract class BrokerTestBase : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];

    protected IBrokerHarness Broker { get; private set; } = null!;

    protected abstract IBrokerHarness CreateBroker();

    public async Task InitializeAsync()
    {
        Broker = CreateBroker();
        await Broker.StartAsync();
    }

    public async Task DisposeAsync()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
            await _owned[i].DisposeAsync();
        await Broker.DisposeAsync();
    }

    protected T Own<T>(T owned) where T : IAsyncDisposable
    {
        _owned.Add(owned);
        return owned;
    }
}
