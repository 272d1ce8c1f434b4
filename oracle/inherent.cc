#include "oracle/inherent.h"

namespace crashdiff {
namespace {

// x86 after a normal kexec has replaced the old kernel's memory: the strongest park for the boot CPU (and for every
// CPU when the APIC does not use plain INIT/SIPI) is HLT with IF=0, which an NMI, SMI or machine check resumes;
// wait-for-SIPI holds NMI and SMI but not a broadcast machine check (45e34c8af58f's own caveat; the INIT park was
// reverted in fbe1bf1e5ff1 anyway). A CPU so resumed executes replaced memory: no x86 kernel can prevent it.
constexpr auto kResumingEvents = {pb::NMI, pb::SMI, pb::MCE, pb::OPERATOR_RESET};
const InherentHazard kHazards[] = {
    {"x86 HLT park resumed after kexec", "NMI/SMI/MCE resume HLT; the boot CPU cannot be put into INIT", pb::X86, "PR2",
     "from PARKED_HLT", kResumingEvents},
    {"x86 INIT park hit by a machine check",
     "wait-for-SIPI does not hold a broadcast machine check",
     pb::X86,
     "PR2",
     "from PARKED_INIT",
     {pb::MCE}},
    {"x86 park resumed into relocated memory", "the same resume, seen by the relocation check", pb::X86, "PR10",
     "resumes into relocated memory", kResumingEvents},
    {"x86 park resumed before the jump", "the same resume between relocation and the jump", pb::X86, "PR1",
     "DEAD_CORRUPT at hand-over", kResumingEvents},
    // machine_kexec loads an empty IDT before relocate_kernel: an NMI or machine check on the kexec CPU while it
    // copies the new kernel is a triple fault. Nothing a kernel does can hold them off.
    {"x86 NMI on the kexec CPU during relocation",
     "relocate_kernel runs with no IDT",
     pb::X86,
     "PR8",
     "never hands over",
     {pb::NMI, pb::MCE, pb::OPERATOR_RESET}},
    // powernv: an operator's reset (the BMC's, of every thread the hardware has enabled) also takes the threads
    // skiboot holds to the system-reset vector at real address 0, which after the hand-over is the next kernel's
    // (openpower-proc-control NMI::nMI; skiboot is not involved). No kernel can hold a thread off that reset.
    {"ppc firmware-held thread reset after the hand-over",
     "an operator's reset takes the threads skiboot holds to the next kernel's 0x100",
     pb::PPC,
     "PR2",
     "from PARKED_FW",
     {pb::OPERATOR_RESET}},
    {"ppc firmware-held thread reset as the hand-over comes",
     "the same reset of a thread skiboot holds (returned or never started), just before the vector is replaced",
     pb::PPC,
     "PR1",
     "by the machine",
     {pb::OPERATOR_RESET, pb::SYSTEM_RESET, pb::MCE}},
    {"ppc firmware-held thread reset into relocated memory",
     "the same reset after a normal kexec, seen by the relocation check",
     pb::PPC,
     "PR10",
     "into relocated memory from PARKED_FW",
     {pb::OPERATOR_RESET}},
    {"ppc never-started thread reset after the hand-over",
     "the same reset of a thread skiboot holds that Linux never started",
     pb::PPC,
     "PR2",
     "from NEVER_STARTED",
     {pb::OPERATOR_RESET}},
    // powerpc kexec_sequence copies the new kernel over the old one in real mode, the low vectors included: an
    // operator's system reset on the kexec CPU there enters replaced memory, and no kernel can hold it off. A
    // SYSTEM_RESET event is the same reset from outside, sent to chosen threads.
    {"ppc operator reset on the kexec CPU during relocation",
     "kexec_sequence copies over the 0x100 vector the reset enters",
     pb::PPC,
     "PR8",
     "never hands over",
     {pb::OPERATOR_RESET, pb::SYSTEM_RESET}},
    // ... and a machine check there: MSR[ME] stays on through kexec_sequence, so it enters the 0x200 vector being
    // replaced (arm64's abort below is the same hazard).
    {"ppc machine check on the kexec CPU during relocation",
     "kexec_sequence copies over the 0x200 vector the machine check enters",
     pb::PPC,
     "PR8",
     "never hands over",
     {pb::MCE}},
    // arm64_relocate_new_kernel runs with the MMU off over the old kernel's vectors, DAIF masked: a synchronous
    // external abort (not maskable) taken there enters replaced memory.
    {"arm64 abort on the kexec CPU during relocation",
     "relocation runs over the replaced vectors",
     pb::ARM64,
     "PR8",
     "never hands over",
     {pb::MCE}},
};

bool HasEvent(const pb::Scenario& s, std::initializer_list<pb::EventKind> kinds) {
  for (const pb::Event& e : s.events()) {
    for (pb::EventKind k : kinds) {
      if (e.kind() == k) return true;
    }
  }
  return false;
}

}  // namespace

const InherentHazard* FindInherentHazard(const pb::Scenario& s, const Violation& v) {
  for (const InherentHazard& h : kHazards) {
    if (h.family == s.machine().family() && h.property == v.property && v.what.find(h.what) != std::string::npos &&
        HasEvent(s, h.needs)) {
      return &h;
    }
  }
  return nullptr;
}

}  // namespace crashdiff
