using EdgeCL.Core.Fleet;

namespace EdgeCL.Sync.Payloads;

/// <summary>Reads a <see cref="TrustStore"/> from a folder holding one public key per device: <c>&lt;device-id&gt;.pem</c>.</summary>
/// <remarks>The file name is the device id, so a key vouches only for the device it is named after. Other files are ignored.</remarks>
public static class TrustFolder
{
    /// <summary>Loads every <c>*.pem</c> of <paramref name="folder"/>.</summary>
    /// <returns>A new trust store (the caller disposes it).</returns>
    /// <exception cref="ArgumentException">The folder is missing or holds no key, a file name is not a device id, or a file is not a P-256 public key.</exception>
    public static TrustStore Load(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder))
            throw new ArgumentException($"Trust folder '{folder}' does not exist; give a folder of <device-id>.pem public keys.");
        TrustStore trust = LoadKeys(folder);
        if (trust.Count == 0)
        {
            trust.Dispose();
            throw new ArgumentException($"Trust folder '{folder}' holds no <device-id>.pem file; export each device's public key there.");
        }
        return trust;
    }

    /// <summary>Loads the operator keys of <c>{trustFolder}/operators/&lt;operator&gt;.pem</c>, whose signed commands a device acts on.</summary>
    /// <remarks>A separate folder, so an operator key never vouches for fleet entries nor a device key for commands.</remarks>
    /// <returns>A new trust store, empty when there is no trust folder or no <c>operators</c> folder (then every command is refused).</returns>
    /// <exception cref="ArgumentException">A file name is not an operator name, or a file is not a P-256 public key.</exception>
    public static TrustStore LoadOperators(string? trustFolder)
    {
        string? folder = trustFolder is null ? null : Path.Combine(trustFolder, "operators");
        return folder is not null && Directory.Exists(folder) ? LoadKeys(folder) : new TrustStore();
    }

    /// <summary>Loads the aggregator keys of <c>{trustFolder}/aggregators/&lt;aggregator&gt;.pem</c>, whose aggregates and receipts a device accepts.</summary>
    /// <remarks>A separate folder, like operators: a device key alone never makes its owner an aggregator.</remarks>
    /// <returns>A new trust store, empty when there is no such folder.</returns>
    /// <exception cref="ArgumentException">A file name is not an aggregator id, or a file is not a P-256 public key.</exception>
    public static TrustStore LoadAggregators(string? trustFolder)
    {
        string? folder = trustFolder is null ? null : Path.Combine(trustFolder, "aggregators");
        return folder is not null && Directory.Exists(folder) ? LoadKeys(folder) : new TrustStore();
    }

    private static TrustStore LoadKeys(string folder)
    {
        var trust = new TrustStore();
        try
        {
            foreach (string file in Directory.EnumerateFiles(folder, "*.pem").Order(StringComparer.Ordinal))
            {
                string device = Path.GetFileNameWithoutExtension(file);
                if (!FleetLimits.IsValidDeviceId(device))
                    throw new ArgumentException($"Trust file '{file}' is not named after a device id ([A-Za-z0-9._-], 1..{FleetLimits.MaxDeviceIdLength}); rename it to <device-id>.pem.");
                string pem;
                try
                {
                    pem = File.ReadAllText(file);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new ArgumentException($"Trust file '{file}' cannot be read ({ex.Message}); check its permissions.", ex);
                }
                try
                {
                    trust.Add(device, pem);
                }
                catch (ArgumentException ex)
                {
                    throw new ArgumentException($"Trust file '{file}': {ex.Message.Split('\n')[0].Replace(" (Parameter 'pem')", "", StringComparison.Ordinal)}", ex);
                }
            }
            return trust;
        }
        catch
        {
            trust.Dispose();
            throw;
        }
    }
}
