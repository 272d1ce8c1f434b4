// x86 interrupt vectors: a device interrupt is never one of the kernel's own system IPIs. The x86 vector allocator
// (arch/x86/kernel/apic/vector.c) hands devices vectors below FIRST_SYSTEM_VECTOR only, so whatever number a
// DEVICE_IRQ event carries, its handler is the device's, never sysvec_reboot or the stop_machine call.
#include <gtest/gtest.h>

#include "tests/fixtures/x86_test_util.h"

namespace crashdiff::testing {
namespace {

TEST(X86Vectors, ADeviceInterruptNumberedLikeRebootVectorDoesNotStopTheCpu) {
  for (const char* target : kX86Targets) {
    SCOPED_TRACE(target);
    // 248 = 0xf8, the number of REBOOT_VECTOR. Then a panic on the same CPU: it is still an ordinary online CPU.
    const RunResult r = RunTarget(target, R"pb(
      machine { family: X86 platform: X86_HLT cores: 2 threads_per_core: 2 crash_image_loaded: true }
      events {
        kind: DEVICE_IRQ
        cpus: 3
        vector: 248
        trigger { at_time_ns: 100 }
      }
      events {
        kind: PANIC
        cpus: 1
        trigger { at_time_ns: 100000 }
      }
    )pb");
    EXPECT_EQ(FindEntry(r, 3, TraceKind::kLocal, "ST1"), nullptr) << "stop_this_cpu ran on a device interrupt";
    EXPECT_NE(FindEntry(r, 3, TraceKind::kLocal, "IRQ", "device interrupt"), nullptr);
    ASSERT_TRUE(r.handed_over);
    // Still online when the crash starts: the crash NMI reaches it, it saves and answers.
    EXPECT_EQ(r.cpus[3].saves, 1u);
    EXPECT_EQ(r.cpus[3].responses, 1u);
  }
}

// INIT clears CR4, so CR4.MCE is 0 in wait-for-SIPI: a machine check shuts the processor down (SDM) and no
// instruction runs. The model must not record that as a step of its own: after relocation started, a step of an
// offline CPU reads as old-kernel code executed (PR10). Here the MCE reaches the INIT-parked cpu1 just before the
// kexec CPU's first relocation write.
TEST(X86Vectors, AMachineCheckInWaitForSipiExecutesNothing) {
  const RunResult r = RunTarget("x86-init-park", R"pb(
    machine { family: X86 platform: X86_HLT cores: 4 offline: 1 offline: 2 kexec_image_loaded: true }
    events {
      kind: MCE
      cpus: 1
      trigger { at_time_ns: 975 }
    }
    events {
      kind: KEXEC
      cpus: 0
      trigger { at_time_ns: 882 }
    }
  )pb");
  ASSERT_TRUE(r.handed_over);
  bool took_mce_in_init = false;
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.cpu != 1) continue;
    if (e.kind == TraceKind::kIrq && (e.label == "MCE" || e.detail == "MCE") && e.location == Location::kParkedInit)
      took_mce_in_init = true;
    if (took_mce_in_init)
      EXPECT_NE(e.kind, TraceKind::kLocal) << "step " << e.step << " " << e.label << " " << e.detail;
  }
  EXPECT_TRUE(took_mce_in_init);
  EXPECT_EQ(r.cpus[1].at_handover, Location::kParkedInit);
}

}  // namespace
}  // namespace crashdiff::testing
