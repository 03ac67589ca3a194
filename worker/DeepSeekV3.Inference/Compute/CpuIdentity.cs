using System.Runtime.Intrinsics.X86;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// The processor's vendor, family and model as CPUID reports them (leaf 0: vendor string; leaf 1: family and model,
/// with the extended fields folded in as the vendors' manuals define): kernel choices that measured differently on two
/// microarchitectures key on them, and the bench prints them beside its figures. Unknown where the machine is not x86.
/// </summary>
public readonly record struct CpuIdentity(string Vendor, int Family, int Model)
{
    public static readonly CpuIdentity Unknown = new("unknown", 0, 0);

    public static CpuIdentity Current { get; } = Read();

    public bool IsAmdFamily19h => Vendor == "AuthenticAMD" && Family == 0x19;

    public override string ToString() => Vendor == Unknown.Vendor ? Vendor : $"{Vendor} family {Family} model {Model}";

    /// <summary>
    /// Decodes CPUID leaf 0's EBX, EDX, ECX (the vendor string, in that order) and leaf 1's EAX. The extended family
    /// (bits 20-27) adds to the base family (bits 8-11) only when the base is 0xF; the extended model (bits 16-19) is the
    /// model's high nibble when the base family is 0x6 or 0xF (Intel SDM vol. 2A, CPUID; AMD APM vol. 3, CPUID Fn0000_0001).
    /// </summary>
    public static CpuIdentity FromRegisters(int leaf0Ebx, int leaf0Edx, int leaf0Ecx, int leaf1Eax)
    {
        Span<byte> vendor = stackalloc byte[12];
        BitConverter.TryWriteBytes(vendor, leaf0Ebx);
        BitConverter.TryWriteBytes(vendor[4..], leaf0Edx);
        BitConverter.TryWriteBytes(vendor[8..], leaf0Ecx);
        int baseFamily = (leaf1Eax >> 8) & 0xF, baseModel = (leaf1Eax >> 4) & 0xF;
        int family = baseFamily == 0xF ? baseFamily + ((leaf1Eax >> 20) & 0xFF) : baseFamily;
        int model = baseFamily is 0x6 or 0xF ? (((leaf1Eax >> 16) & 0xF) << 4) | baseModel : baseModel;
        return new CpuIdentity(System.Text.Encoding.ASCII.GetString(vendor), family, model);
    }

    private static CpuIdentity Read()
    {
        if (!X86Base.IsSupported)
        {
            return Unknown;
        }

        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        var (eax, _, _, _) = X86Base.CpuId(1, 0);
        return FromRegisters(ebx, edx, ecx, eax);
    }
}
