using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Inference.Tests.Compute;

public class CpuIdentityTests
{
    // CPUID leaf 0 spells the vendor in EBX, EDX, ECX, four ASCII bytes each, low byte first.
    private const int AuthEbx = 0x68747541, EntiEdx = 0x69746E65, CamdEcx = 0x444D4163; // "Auth" "enti" "cAMD"
    private const int GenuEbx = 0x756E6547, IneiEdx = 0x49656E69, NtelEcx = 0x6C65746E; // "Genu" "ineI" "ntel"

    [Theory]
    [InlineData(AuthEbx, EntiEdx, CamdEcx, 0x00A10F11, "AuthenticAMD", 0x19, 0x11)] // Zen 4 (EPYC Genoa): 0xF + 0xA
    [InlineData(AuthEbx, EntiEdx, CamdEcx, 0x00B00F21, "AuthenticAMD", 0x1A, 0x02)] // Zen 5 (EPYC Turin)
    [InlineData(GenuEbx, IneiEdx, NtelEcx, 0x000806F8, "GenuineIntel", 0x06, 0x8F)] // Sapphire Rapids: extended model 8
    [InlineData(GenuEbx, IneiEdx, NtelEcx, 0x00000543, "GenuineIntel", 0x05, 0x04)] // family 5: no extended fields
    public void FromRegisters_FoldsTheExtendedFieldsAsTheManualsSay(int ebx, int edx, int ecx, int eax, string vendor, int family, int model)
    {
        var cpu = CpuIdentity.FromRegisters(ebx, edx, ecx, eax);

        Assert.Equal(new CpuIdentity(vendor, family, model), cpu);
        Assert.Equal($"{vendor} family {family} model {model}", cpu.ToString());
    }

    [Fact]
    public void Current_AgreesWithTheKernelsCpuinfo()
    {
        // Linux reads the same CPUID fields; on another system there is nothing to compare with.
        if (!File.Exists("/proc/cpuinfo") || !System.Runtime.Intrinsics.X86.X86Base.IsSupported)
        {
            return;
        }

        var fields = File.ReadLines("/proc/cpuinfo").TakeWhile(line => line.Length > 0).Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2).GroupBy(parts => parts[0].Trim()).ToDictionary(g => g.Key, g => g.First()[1].Trim());

        Assert.Equal(new CpuIdentity(fields["vendor_id"], int.Parse(fields["cpu family"]), int.Parse(fields["model"])), CpuIdentity.Current);
    }

    [Theory]
    [InlineData("stream", null, "AuthenticAMD", 0x19, false)] // Zen 4: the hardware prefetcher alone reads faster
    [InlineData("stream", null, "AuthenticAMD", 0x1A, true)]  // Zen 5: the prefetch helps
    [InlineData("stream", null, "GenuineIntel", 0x06, true)]
    [InlineData("stream", "1", "AuthenticAMD", 0x19, true)]   // DSV3_STREAM_PREFETCH decides where set
    [InlineData("stream", "0", "AuthenticAMD", 0x1A, false)]
    [InlineData("wide rows", null, "AuthenticAMD", 0x19, true)]  // Zen 4: wide FP8 rows read 37-56 % faster so
    [InlineData("wide rows", null, "AuthenticAMD", 0x1A, false)] // Zen 5: the stream prefetch already serves them
    [InlineData("wide rows", null, "GenuineIntel", 0x06, false)]
    [InlineData("wide rows", "0", "AuthenticAMD", 0x19, false)]  // DSV3_WIDE_ROW_PREFETCH decides where set
    [InlineData("wide rows", "1", "GenuineIntel", 0x06, true)]
    [InlineData("panels", null, "AuthenticAMD", 0x19, true)]  // Zen 4: L1 requests push out the panel's x rows
    [InlineData("panels", null, "AuthenticAMD", 0x1A, false)] // Zen 5: measured with L1 requests only
    [InlineData("panels", null, "GenuineIntel", 0x06, false)]
    [InlineData("panels", "0", "AuthenticAMD", 0x19, false)]  // DSV3_PANEL_PREFETCH_L2 decides where set
    [InlineData("panels", "1", "AuthenticAMD", 0x1A, true)]
    public void PrefetchChoices_ByProcessor_UnlessTheEnvironmentSays(string choice, string? setting, string vendor, int family, bool expected)
    {
        var cpu = new CpuIdentity(vendor, family, 1);
        bool chosen = choice switch
        {
            "stream" => WeightPrefetch.StreamPrefetchHelps(setting, cpu),
            "wide rows" => WeightPrefetch.WideRowsIntoL2Helps(setting, cpu),
            _ => WeightPrefetch.PanelsIntoL2Help(setting, cpu),
        };
        Assert.Equal(expected, chosen);
    }
}
