using CvmfsImages.Runtime.Diagnostics;
using Xunit;

namespace CvmfsImages.Tests.Runtime.Diagnostics;

public sealed class MessagesTests
{
    [Fact]
    public void Debug_format_is_singularity_s()
    {
        var w = new StringWriter();
        var m = new Messages(w, MessageLevel.Debug, 1000, 4242);
        m.Debug("Parsing configuration file /etc/x", "persistentPreRun");
        Assert.Matches(@"^DEBUG   \[U=1000,P=4242\]\s+persistentPreRun\(\)\s+Parsing configuration file /etc/x\r?\n$", w.ToString());
    }

    [Fact]
    public void Normal_format_and_thresholds()
    {
        var w = new StringWriter();
        var m = new Messages(w, MessageLevel.Info, 1, 1);
        m.Warning("careful");
        m.Verbose("hidden");
        m.Debug("hidden");
        m.Threshold = MessageLevel.Error;
        m.Warning("hidden");
        m.Info("hidden");
        m.Fatal("boom\nforged line");
        Assert.Equal($"WARNING: careful{System.Environment.NewLine}FATAL:   boom forged line{System.Environment.NewLine}", w.ToString());
    }
}
