using System.Text;
using EdgeCL.Device.Config;

namespace EdgeCL.Device.Tests.Config;

public sealed class DeviceConfigLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string json)
    {
        string path = Path.Combine(_dir, "device.json");
        File.WriteAllText(path, json, Encoding.UTF8);
        return path;
    }

    private const string Valid = """
        {
          // comments are allowed
          "device_id": "pi-01",
          "fleet": "home",
          "backbone": "speech",
          "state_dir": "state",
          "learner": { "method": "ncm-test-centred", "parameters": { "warmup": "5" } },
          "sources": [ { "type": "folder", "path": "inbox", "labels_from_folders": true } ],
        }
        """;

    [Fact]
    public void Valid_config_loads_with_defaults_and_paths_relative_to_the_file()
    {
        (DeviceConfig config, string dir) = DeviceConfigLoader.Load(Write(Valid));
        Assert.Equal("pi-01", config.DeviceId);
        Assert.Equal(_dir, dir);
        Assert.Equal(5, config.Teach.Shots);
        Assert.Null(config.Sync);
        Assert.True(config.Sources[0].LabelsFromFolders);
        Assert.Equal("5", DeviceConfigValidator.LearnerOptionsFor(config.Learner).Parameters["ncm-test-centred.warmup"]);
    }

    [Fact]
    public void Loading_for_listening_checks_recognition_and_the_vad_but_not_another_machines_paths()
    {
        const string pi = """
            {
              "device_id": "pi-01", "backbone": "speech", "state_dir": "/var/lib/edgecl", "models_root": "/opt/edgecl/models-not-here",
              "recognition": { "min_pause_before_ms": 600 },
              "sync": { "broker": "mqtts://site:8883", "password_file": "/etc/edgecl/not-here" },
              "sources": [ { "type": "pcm", "path": "/run/mic.fifo", "vad": { "foreground_db": 10 } } ]
            }
            """;
        Assert.Throws<DeviceConfigException>(() => DeviceConfigLoader.Load(Write(pi))); // the agent would refuse it here
        (DeviceConfig config, _) = DeviceConfigLoader.LoadListening(Write(pi));
        Assert.Equal((600, 10f), (config.Recognition.MinPauseBeforeMs, config.Sources[0].Vad.ForegroundDb));

        var bad = Assert.Throws<DeviceConfigException>(() => DeviceConfigLoader.LoadListening(Write(pi.Replace("600", "-1").Replace("\"foreground_db\": 10", "\"foreground_db\": 99"))));
        Assert.Equal(2, bad.Errors.Count);
        Assert.Contains(bad.Errors, e => e.Contains("recognition.min_pause_before_ms -1 is out of range", StringComparison.Ordinal));
        Assert.Contains(bad.Errors, e => e.Contains("sources[0].vad.foreground_db 99 is out of range", StringComparison.Ordinal));
    }

    [Fact]
    public void A_typo_in_a_key_names_the_line_and_suggests_the_key()
    {
        var ex = Assert.Throws<DeviceConfigException>(() => DeviceConfigLoader.Load(Write(Valid.Replace("\"state_dir\"", "\"state_dri\""))));
        string line = Assert.Single(ex.Errors);
        Assert.Contains("unknown key 'state_dri'", line);
        Assert.Contains("did you mean 'state_dir'?", line);
        Assert.Contains("line 6", line);
    }

    [Fact]
    public void A_key_that_is_not_utf8_is_one_line_not_a_crash()
    {
        // Found by fuzzing (ops/fuzz, target device-config): listing further mistakes re-read the key with GetString,
        // which throws InvalidOperationException on bytes that are not UTF-8 (here 0xF4 inside "labe\xF4").
        byte[] json = Convert.FromBase64String("Ly8BQUcvLgp7ICJ0ZWFjaCI6IHsgImxhYmX0IjogImwiOiAx");
        var ex = Assert.Throws<DeviceConfigException>(() => DeviceConfigLoader.Parse(json));
        Assert.DoesNotContain('\n', Assert.Single(ex.Errors));
    }

    [Fact]
    public void Every_json_mistake_is_listed_at_once_each_with_its_line()
    {
        string json = Valid
            .Replace("\"state_dir\"", "\"state_dri\"")                                   // line 6: unknown key
            .Replace("\"method\": \"ncm-test-centred\"", "\"method\": 7")                 // line 7: wrong type
            .Replace("\"labels_from_folders\": true", "\"labels_from_folders\": true, \"colour\": 1"); // line 8: unknown, last in its object
        var ex = Assert.Throws<DeviceConfigException>(() => DeviceConfigLoader.Load(Write(json)));
        Assert.Equal(3, ex.Errors.Count);
        Assert.Contains("line 6: unknown key 'state_dri'", ex.Errors[0]);
        Assert.Contains("line 7: 'learner.method' has the wrong type", ex.Errors[1]);
        Assert.Contains("line 8: unknown key 'colour' in sources[0]", ex.Errors[2]);
    }

    [Fact]
    public void Receiving_aggregates_needs_a_known_mode_and_a_trusted_aggregator()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "trust"));
        File.WriteAllText(Path.Combine(_dir, "trust", "d1.pem"), "x");
        string Config(string receive) => Valid.Replace("\"sources\"", $"\"sync\": {{ \"broker\": \"embedded\", \"trust_dir\": \"trust\", \"receive\": \"{receive}\" }},\n  \"sources\"");
        var typo = Assert.Throws<DeviceConfigException>(() => DeviceConfigLoader.Load(Write(Config("aggregate"))));
        Assert.Contains("sync.receive 'aggregate' is unknown", Assert.Single(typo.Errors));
        var untrusted = Assert.Throws<DeviceConfigException>(() => DeviceConfigLoader.Load(Write(Config("aggregates"))));
        Assert.Contains("trust_dir/aggregators/ holds no <aggregator-id>.pem", Assert.Single(untrusted.Errors));
        Directory.CreateDirectory(Path.Combine(_dir, "trust", "aggregators"));
        File.WriteAllText(Path.Combine(_dir, "trust", "aggregators", "agg1.pem"), "x");
        Assert.Equal("aggregates", DeviceConfigLoader.Load(Write(Config("aggregates"))).Config.Sync!.Receive);
        // One message per class, for aggregators built before bundles: the same trust folder.
        Assert.Equal("aggregates-per-class", DeviceConfigLoader.Load(Write(Config("aggregates-per-class"))).Config.Sync!.Receive);
        Directory.Delete(Path.Combine(_dir, "trust", "aggregators"), recursive: true);
        var perClassUntrusted = Assert.Throws<DeviceConfigException>(() => DeviceConfigLoader.Load(Write(Config("aggregates-per-class"))));
        Assert.Contains("sync.receive is \"aggregates-per-class\" but trust_dir/aggregators/", Assert.Single(perClassUntrusted.Errors));
    }

    [Fact]
    public void Publishing_needs_a_known_form()
    {
        string Config(string publish) => Valid.Replace("\"sources\"", $"\"sync\": {{ \"broker\": \"embedded\", \"publish\": \"{publish}\" }},\n  \"sources\"");
        var typo = Assert.Throws<DeviceConfigException>(() => DeviceConfigLoader.Load(Write(Config("bundle"))));
        Assert.Contains("sync.publish 'bundle' is unknown; use \"classes\"", Assert.Single(typo.Errors));
        Assert.Equal("bundles", DeviceConfigLoader.Load(Write(Config("bundles"))).Config.Sync!.Publish);
        Assert.Equal("classes", DeviceConfigLoader.Load(Write(Valid)).Config.Sync?.Publish ?? "classes");
    }

    [Fact]
    public void A_merge_policy_out_of_range_is_one_line()
    {
        string Config(string cap) => Valid.Replace("\"sources\"", $"\"sync\": {{ \"broker\": \"embedded\", \"max_examples_per_device\": {cap} }},\n  \"sources\"");
        foreach (string bad in new[] { "-1", "9007199254740993" })
        {
            var ex = Assert.Throws<DeviceConfigException>(() => DeviceConfigLoader.Load(Write(Config(bad))));
            Assert.Contains($"sync.max_examples_per_device {bad} is out of range 0..", Assert.Single(ex.Errors));
            Assert.DoesNotContain('\n', ex.Errors[0]);
        }
        Assert.Equal(50, DeviceConfigLoader.Load(Write(Config("50"))).Config.Sync!.MaxExamplesPerDevice);
        Assert.Equal(0, DeviceConfigLoader.Load(Write(Valid)).Config.Sync?.MaxExamplesPerDevice ?? 0);

        string Norm(string bound) => Valid.Replace("\"sources\"", $"\"sync\": {{ \"broker\": \"embedded\", \"max_mean_norm\": {bound} }},\n  \"sources\"");
        var negative = Assert.Throws<DeviceConfigException>(() => DeviceConfigLoader.Load(Write(Norm("-1.5"))));
        Assert.Contains("sync.max_mean_norm -1.5 is not a finite number >= 0", Assert.Single(negative.Errors));
        Assert.Equal(150f, DeviceConfigLoader.Load(Write(Norm("150"))).Config.Sync!.MaxMeanNorm);
    }

    [Fact]
    public void An_empty_trust_dir_is_a_config_error()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "trust"));
        string json = Valid.Replace("\"sources\"", "\"sync\": { \"broker\": \"embedded\", \"trust_dir\": \"trust\" },\n  \"sources\"");
        var ex = Assert.Throws<DeviceConfigException>(() => DeviceConfigLoader.Load(Write(json)));
        Assert.Contains("sync.trust_dir 'trust' holds no <device-id>.pem public key", Assert.Single(ex.Errors));
    }

    [Fact]
    public void A_typo_in_a_nested_key_is_found_too()
    {
        var ex = Assert.Throws<DeviceConfigException>(() => DeviceConfigLoader.Load(Write(Valid.Replace("\"labels_from_folders\"", "\"label_from_folder\""))));
        Assert.Contains("did you mean 'labels_from_folders'?", Assert.Single(ex.Errors));
    }

    [Fact]
    public void A_value_of_the_wrong_type_says_what_is_expected()
    {
        var ex = Assert.Throws<DeviceConfigException>(() => DeviceConfigLoader.Load(Write(Valid.Replace("\"fleet\": \"home\",", "\"threads\": \"two\","))));
        string line = Assert.Single(ex.Errors);
        Assert.Contains("'threads' has the wrong type; it must be a whole number", line);
    }

    [Fact]
    public void Broken_json_is_one_line_with_the_line_number()
    {
        var ex = Assert.Throws<DeviceConfigException>(() => DeviceConfigLoader.Load(Write(Valid.Replace("\"fleet\": \"home\",", "\"fleet\": \"home\""))));
        string line = Assert.Single(ex.Errors);
        Assert.Contains("not valid JSON", line);
        Assert.DoesNotContain('\n', line);
    }

    [Fact]
    public void Every_bad_value_is_listed_at_once()
    {
        string json = """
            {
              "device_id": "bad/id",
              "fleet": "home#",
              "backbone": "speech",
              "providers": "cpu,quantum",
              "state_dir": "state",
              "learner": { "method": "nope" },
              "teach": { "shots": 0, "label": "unknown" },
              "recognition": { "threshold": 1.5, "min_pause_before_ms": -1, "min_pause_after_talk_ms": 20000, "max_word_ms": 100 },
              "sync": { "broker": "http://x", "trust_dir": "missing" },
              "sources": [ { "type": "pcm", "path": "-", "vad": { "threshold": 1.5, "foreground_db": 99 } }, { "type": "webcam" }, { "type": "raw-frames", "path": "-", "width": 0, "height": 10, "pixel_format": "yuv" } ],
              "status": { "interval_seconds": 0 }
            }
            """;
        var ex = Assert.Throws<DeviceConfigException>(() => DeviceConfigLoader.Load(Write(json)));
        string all = string.Join("\n", ex.Errors);
        foreach (string expected in new[] { "device_id 'bad/id'", "fleet 'home#'", "providers:", "learner.method 'nope' is unknown", "teach.shots 0", "recognition.threshold 1.5", "recognition.min_pause_before_ms -1", "recognition.min_pause_after_talk_ms 20000", "recognition.max_word_ms 100", "teach.label: Label 'unknown' is reserved",
                     "sync.broker", "sync.trust_dir 'missing'", "sources[0].vad.threshold 1.5", "sources[0].vad.foreground_db 99", "sources[1].type 'webcam' is unknown", "sources[2]: width 0",
                     "sources[2].pixel_format 'yuv'", "status.interval_seconds 0" })
            Assert.Contains(expected, all);
        Assert.Equal(18, ex.Errors.Count);
        Assert.All(ex.Errors, e => Assert.DoesNotContain('\n', e));
    }

    [Fact]
    public void Missing_file_and_unknown_learner_parameter_are_clear()
    {
        var missing = Assert.Throws<DeviceConfigException>(() => DeviceConfigLoader.Load(Path.Combine(_dir, "nope.json")));
        Assert.Contains("no such file", Assert.Single(missing.Errors));
        var param = Assert.Throws<DeviceConfigException>(() => DeviceConfigLoader.Load(Write(Valid.Replace("\"warmup\"", "\"warm_up\""))));
        Assert.Contains("'warm_up' is not a parameter of ncm-test-centred; did you mean 'warmup'?", Assert.Single(param.Errors));
        var value = Assert.Throws<DeviceConfigException>(() => DeviceConfigLoader.Load(Write(Valid.Replace("\"5\"", "\"-3\""))));
        Assert.Contains("warmup", Assert.Single(value.Errors));
    }

    [Fact]
    public void Closest_key_is_found_only_when_near()
    {
        Assert.Equal("device_id", DeviceConfigLoader.Closest("devce_id", ["device_id", "fleet"]));
        Assert.Null(DeviceConfigLoader.Closest("completely_else", ["device_id", "fleet"]));
    }
}
