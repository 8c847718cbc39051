using EdgeCL.Core.Security;

namespace EdgeCL.Cli.Tests;

/// <summary><c>edgecl run --check</c> and the device page's address; <c>edgecl hash-password</c>.</summary>
public sealed class WebCliTests
{
    private static string LaptopConfig => Path.Combine(RealBackboneTests.RepoRoot, "device", "configs", "laptop-sim.json");

    [Fact]
    public void Check_accepts_the_shipped_loopback_page_and_refuses_an_open_one_without_tls_in_one_line()
    {
        var (ok, stdout, _) = CliHarness.Run("run", "--check", "--config", LaptopConfig);
        Assert.Equal(0, ok);
        Assert.Contains("page 127.0.0.1:8080", stdout, StringComparison.Ordinal);
        var (code, _, stderr) = CliHarness.Run("run", "--check", "--config", LaptopConfig, "--web", "0.0.0.0:8080");
        Assert.Equal(ExitCodes.Usage, code);
        string line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Contains("web.listen 0.0.0.0:8080 is not a loopback address", line, StringComparison.Ordinal);
        Assert.Equal(0, CliHarness.Run("run", "--check", "--config", LaptopConfig, "--web", "off").Code);
    }

    [Fact]
    public void Fleet_serve_refuses_an_open_page_without_tls_and_users_and_bad_settings_in_one_line_before_connecting()
    {
        // The broker address is unreachable on purpose: the refusal must come first.
        var (code, _, stderr) = CliHarness.Run("fleet", "serve", "--broker", "mqtt://127.0.0.1:1", "--web", "0.0.0.0:8090");
        Assert.Equal(ExitCodes.Usage, code);
        string line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Contains("--web 0.0.0.0:8090 is not a loopback address", line, StringComparison.Ordinal);
        string settings = Path.Combine(Path.GetTempPath(), $"edgecl-web-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(settings, "{\"users\": [{\"name\": \"ops\", \"role\": \"admin\", \"password\": \"hunter22\"}]}");
            (code, _, stderr) = CliHarness.Run("fleet", "serve", "--broker", "mqtt://127.0.0.1:1", "--web-config", settings);
            Assert.Equal(ExitCodes.Usage, code);
            Assert.Contains("is not valid page settings", Assert.Single(stderr.TrimEnd().Split('\n')), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(settings);
        }
        (code, _, stderr) = CliHarness.Run("fleet", "serve", "--broker", "mqtt://127.0.0.1:1", "--expires-s", "7200");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--expires-s 7200 must be 1..3600", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Hash_password_prints_a_hash_that_verifies_and_refuses_a_short_password()
    {
        TextReader oldIn = Console.In;
        try
        {
            Console.SetIn(new StringReader("correct horse battery\n"));
            var (code, stdout, _) = CliHarness.Run("hash-password");
            Assert.Equal(0, code);
            Assert.StartsWith("pbkdf2-sha256$", stdout, StringComparison.Ordinal);
            Assert.True(PasswordHash.Verify("correct horse battery", stdout.Trim()));
            Assert.DoesNotContain("horse", stdout, StringComparison.Ordinal);
            Console.SetIn(new StringReader("short\n"));
            Assert.Equal(ExitCodes.Usage, CliHarness.Run("hash-password").Code);
        }
        finally
        {
            Console.SetIn(oldIn);
        }
    }
}
