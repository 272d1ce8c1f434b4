// x86 interrupt vectors: a device interrupt is never one of the kernel's own system IPIs. The x86 vector allocator
// (arch/x86/kernel/apic/vector.c) hands devices vectors below FIRST_SYSTEM_VECTOR only, so whatever number a
// DEVICE_IRQ event carries, its handler is the device's, never sysvec_reboot or the stop_machine call.
#include <gtest/gtest.h>

#include "tests/x86_test_util.h"

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

}  // namespace
}  // namespace crashdiff::testing
