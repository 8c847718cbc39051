using System.Diagnostics;
using System.Text.Json;
using EdgeCL.Device.Config;
using EdgeCL.Device.Gpio;

namespace EdgeCL.Device.Tests.Install;

/// <summary>device/: the example configs parse strictly, install.sh stages the right layout, the units verify.</summary>
public sealed class DeviceFolderTests : IDisposable
{
    private static readonly string s_repo = FindRepo();
    private readonly string _temp = Directory.CreateTempSubdirectory("edgecl-install-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "device", "install.sh")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No device/install.sh above {AppContext.BaseDirectory}.");
    }

    public static TheoryData<string> Configs() => ["pi-usb-mic.json", "jetson-orin-camera.json", "laptop-sim.json"];

    [Theory]
    [MemberData(nameof(Configs))]
    public void ExampleConfig_ParsesStrictlyAndItsGpioValidates(string name)
    {
        // Unknown keys are errors in DeviceConfigJsonContext, so a typo in an example fails here.
        DeviceConfig config = JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(s_repo, "device", "configs", name)), DeviceConfigJsonContext.Default.DeviceConfig)!;
        Assert.False(string.IsNullOrEmpty(config.DeviceId));
        Assert.NotEmpty(config.Sources);
        Assert.NotNull(config.Gpio);
        Assert.Empty(DeviceGpio.Validate(config.Gpio));
        Assert.True(Directory.Exists(Path.Combine(s_repo, "models", config.Backbone!)), $"backbone '{config.Backbone}' is not in models/");
    }

    [Fact]
    public void ExampleConfig_UnknownKey_IsAnError()
    {
        const string json = """{ "device_id": "x", "gpio": { "driver": "simulated", "teach_buton": { "pin": 17 } } }""";
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, DeviceConfigJsonContext.Default.DeviceConfig));
    }

    private (int ExitCode, string Output) Install(string root, string config, string? models = null)
    {
        string published = Path.Combine(_temp, "publish");
        Directory.CreateDirectory(published);
        File.WriteAllText(Path.Combine(published, "edgecl"), "#!/bin/sh\necho edgecl\n");
        File.WriteAllText(Path.Combine(published, "libonnxruntime.so"), "native");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = s_repo };
        foreach (string arg in (string[])["device/install.sh", "--root", root, "--no-systemctl", "--from", published, "--config", config])
            start.ArgumentList.Add(arg);
        if (models is not null)
        {
            start.ArgumentList.Add("--models");
            start.ArgumentList.Add(models);
        }
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "install.sh did not finish in 60 s");
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    [Fact]
    public void InstallSh_StagingRoot_LaysOutBinaryModelsConfigStateAndUnits()
    {
        if (OperatingSystem.IsWindows())
            return; // install.sh is for Linux devices
        string root = Path.Combine(_temp, "root");
        (int exit, string output) = Install(root, "device/configs/laptop-sim.json");
        Assert.True(exit == 0, output);

        string binary = Path.Combine(root, "opt", "edgecl", "edgecl");
        Assert.True(File.Exists(binary));
        Assert.True(File.GetUnixFileMode(binary).HasFlag(UnixFileMode.UserExecute));
        Assert.True(File.Exists(Path.Combine(root, "opt", "edgecl", "libonnxruntime.so")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(s_repo, "models", "digits", "digits-cnn.onnx")), File.ReadAllBytes(Path.Combine(root, "opt", "edgecl", "models", "digits", "digits-cnn.onnx")));
        Assert.True(File.Exists(Path.Combine(root, "opt", "edgecl", "models", "digits", "backbone.json")));
        Assert.False(File.Exists(Path.Combine(root, "opt", "edgecl", "models", "digits", "train.py")));
        Assert.Equal(File.ReadAllText(Path.Combine(s_repo, "device", "configs", "laptop-sim.json")), File.ReadAllText(Path.Combine(root, "etc", "edgecl", "device.json")));
        Assert.True(Directory.Exists(Path.Combine(root, "var", "lib", "edgecl")));
        foreach (string unit in (string[])["edgecl.service", "edgecl-mic.service", "edgecl-camera.service"])
            Assert.Equal(File.ReadAllText(Path.Combine(s_repo, "device", unit)), File.ReadAllText(Path.Combine(root, "etc", "systemd", "system", unit)));
        Assert.True(File.Exists(Path.Combine(root, "etc", "systemd", "system", "edgecl.service.d", "10-groups.conf")));

        // A second install keeps the device's config.
        (exit, output) = Install(root, "device/configs/pi-usb-mic.json");
        Assert.True(exit == 0, output);
        Assert.Contains("keeping the existing", output, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllText(Path.Combine(s_repo, "device", "configs", "laptop-sim.json")), File.ReadAllText(Path.Combine(root, "etc", "edgecl", "device.json")));
    }

    [Fact]
    public void InstallSh_ModelChecksumMismatch_FailsWithOneLine()
    {
        string models = Path.Combine(_temp, "models", "tiny");
        Directory.CreateDirectory(models);
        File.WriteAllText(Path.Combine(models, "tiny.onnx"), "not the bytes the manifest names");
        File.WriteAllText(Path.Combine(models, "backbone.json"), """{ "name": "tiny", "files": [ { "path": "tiny.onnx", "sha256": "0000000000000000000000000000000000000000000000000000000000000000" } ] }""");
        (int exit, string output) = Install(Path.Combine(_temp, "root"), "device/configs/laptop-sim.json", Path.Combine(_temp, "models"));
        Assert.NotEqual(0, exit);
        Assert.Contains("install.sh: model tiny: tiny.onnx has sha256 ", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_temp, "root", "opt", "edgecl", "models", "tiny", "tiny.onnx")));
    }

    [Fact]
    public void SystemdUnits_VerifyCleanly()
    {
        if (!File.Exists("/usr/bin/systemd-analyze") && !File.Exists("/bin/systemd-analyze"))
            return; // no systemd on this machine (macOS, minimal containers): nothing to check the units with
        var start = new ProcessStartInfo("systemd-analyze") { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = Path.Combine(s_repo, "device") };
        foreach (string arg in (string[])["verify", "./edgecl.service", "./edgecl-mic.service", "./edgecl-camera.service"])
            start.ArgumentList.Add(arg);
        using Process process = Process.Start(start)!;
        string output = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(30_000));
        // The binary is not installed on the build machine; every other complaint (unknown key, bad value) is a failure.
        string[] problems = [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.Contains("Command /opt/edgecl/edgecl is not executable", StringComparison.Ordinal))];
        Assert.True(problems.Length == 0, string.Join('\n', problems));
    }
}
