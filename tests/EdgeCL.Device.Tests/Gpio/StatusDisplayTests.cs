using EdgeCL.Core.Memory;
using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using EdgeCL.Device.Gpio;
using EdgeCL.Device.Gpio.Display;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeCL.Device.Tests.Gpio;

/// <summary>The SSD1306 status display: Iot.Device.Bindings' driver talking to a simulated chip that interprets the I2C
/// bytes as the SSD1306 does, so what is checked is what a real panel would show.</summary>
public sealed class StatusDisplayTests
{
    private static DisplaySettings Settings(int height = 64) => new() { Width = 128, Height = height, RefreshMs = 50 };

    private static AgentResult Recognised(string label, float score) =>
        new(AgentOutcome.Recognised, "mic", "utterance", label, new Prediction(0, label, score, 0.1f, 0.9f, 0.2f), 3);

    [Fact]
    public void Font_matches_known_glyphs_of_the_public_domain_5x7()
    {
        // 'A' in X11's misc-fixed 5x7: a rounded top, a bar on row 3 (columns, bit 0 = top row).
        Assert.Equal(new byte[] { 0x3E, 0x09, 0x09, 0x3E, 0x00 }, Font5x7.Glyph('A').ToArray());
        Assert.Equal(new byte[5], Font5x7.Glyph(' ').ToArray());
        Assert.Equal(Font5x7.Glyph('?').ToArray(), Font5x7.Glyph('é').ToArray());
    }

    [Fact]
    public void Frame_rows_are_pages_and_text_is_cut_at_the_edge()
    {
        var frame = new MonoFrame(128, 32);
        Assert.Equal((4, 21), (frame.Rows, frame.Columns));
        frame.WriteRow(1, new string('A', 40));
        Assert.True(frame[1, 8]); // 'A' column 0 = 0x3E: rows 1..5 of the page
        Assert.False(frame[0, 8]);
        Assert.False(frame[126, 9]); // after 21 cells (126 px) nothing is drawn
        frame.WriteRow(1, "x", inverted: true);
        Assert.True(frame[127, 8]);
        Assert.Throws<ArgumentOutOfRangeException>(() => frame.WriteRow(4, "x"));
    }

    [Fact]
    public void Shows_the_device_the_last_result_and_the_status()
    {
        using StatusDisplay display = StatusDisplay.Open(Settings(), "pi-kitchen", simulated: true, NullLogger.Instance);
        SimulatedSsd1306 chip = display.Simulator!;
        Assert.True(chip.DisplayOn); // the binding's initialisation switched the panel on
        var state = new PanelState(false, true, true, false, null, null, float.NaN);
        display.Show(state.With(Recognised("hello", 0.8312f)));
        WaitFor(() => chip.ReadRow(2) == "hello", chip);
        Assert.Equal("score 0.83", chip.ReadRow(4));
        Assert.Equal("adapt synced", chip.ReadRow(6));
        // The header is drawn inverted: the cells are the complement of the glyphs, so they read as no glyph.
        Assert.Equal((byte)~Font5x7.Glyph('p')[0], chip.Ram()[0]);

        var unknown = new AgentResult(AgentOutcome.Unknown, "mic", "utterance", null, new Prediction(0, "hello", 0.21f, 0, 0, 0) { Rejected = true }, 3);
        display.Show(state.With(unknown) with { Error = true, Synced = false });
        WaitFor(() => chip.ReadRow(2) == "unknown hello", chip);
        Assert.Equal("score 0.21", chip.ReadRow(4));
        Assert.Equal("ERROR adapt -", chip.ReadRow(6));
    }

    [Fact]
    public void A_32_pixel_panel_uses_four_rows_and_rejected_input_changes_nothing()
    {
        using StatusDisplay display = StatusDisplay.Open(Settings(height: 32), "dev", simulated: true, NullLogger.Instance);
        SimulatedSsd1306 chip = display.Simulator!;
        PanelState state = new PanelState(true, false, false, false, null, null, float.NaN).With(Recognised("stop", 0.5f));
        display.Show(state);
        WaitFor(() => chip.ReadRow(1) == "stop", chip);
        Assert.Equal("teach -", chip.ReadRow(3));
        Assert.Equal(state, state.With(new AgentResult(AgentOutcome.Rejected, "mic", "x", null, null, 0, "nan")));
    }

    [Fact]
    public void Unchanged_state_sends_no_frame()
    {
        using StatusDisplay display = StatusDisplay.Open(Settings(), "dev", simulated: true, NullLogger.Instance);
        var state = new PanelState(false, false, true, false, null, null, float.NaN);
        display.Show(state);
        WaitFor(() => display.Simulator!.ReadRow(6) == "synced", display.Simulator!);
        int frames = Settled(() => display.FramesSent); // the frame just shown is counted once the worker is done with it
        for (int i = 0; i < 50; i++)
            display.Show(state);
        Thread.Sleep(150);
        Assert.Equal(frames, display.FramesSent);
    }

    [Fact]
    public void Dispose_blanks_the_panel_and_switches_it_off()
    {
        StatusDisplay display = StatusDisplay.Open(Settings(), "dev", simulated: true, NullLogger.Instance);
        SimulatedSsd1306 chip = display.Simulator!;
        WaitFor(() => chip.ReadRow(6) == "-", chip);
        display.Dispose();
        Assert.False(chip.DisplayOn);
        Assert.All(chip.Ram(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void A_missing_bus_is_one_line_naming_what_to_do()
    {
        var ex = Assert.Throws<GpioSetupException>(() => StatusDisplay.Open(new DisplaySettings { I2cBus = 250 }, "dev", simulated: false, NullLogger.Instance));
        Assert.Contains("/dev/i2c-250", ex.Message);
        Assert.Contains("remove gpio.display", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Nothing_answering_at_the_address_is_one_line()
    {
        var ex = Assert.Throws<GpioSetupException>(() => StatusDisplay.Open(new DisplaySettings { Address = 0x50 }, "dev", simulated: true, NullLogger.Instance));
        Assert.StartsWith("gpio.display: nothing answers at I2C address 0x50 on bus 1", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    private static int Settled(Func<int> read)
    {
        int last = read();
        for (int quiet = 0; quiet < 3;)
        {
            Thread.Sleep(100);
            int now = read();
            quiet = now == last ? quiet + 1 : 0;
            last = now;
        }
        return last;
    }

    private static void WaitFor(Func<bool> condition, SimulatedSsd1306 chip)
    {
        for (int i = 0; i < 1000 && !condition(); i++)
            Thread.Sleep(10);
        Assert.True(condition(), $"the panel shows: {string.Join(" | ", Enumerable.Range(0, chip.Height / 8).Select(chip.ReadRow))}");
    }
}
