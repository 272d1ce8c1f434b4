// DOMAIN §7 catalogue rows as scenarios, shared by the oracle and differential tests.
#pragma once

namespace crashdiff::testing {

// A: offline thread 3 stopped; cpu1 panics; HMI to every thread after hand-over.
inline constexpr const char* kRowA = R"pb(
  name: "A"
  machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 offline: 3 }
  events {
    kind: PANIC
    trigger { at_time_ns: 1000 }
    cpus: 1
  }
  events {
    kind: HMI
    trigger { after_handover_ns: 1000 }
    all_cpus: true
  }
)pb";

// A, renumbered: the offline thread is 1 and the panicking CPU 3 (same topology roles).
inline constexpr const char* kRowARenumbered = R"pb(
  name: "A renumbered"
  machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 offline: 1 }
  events {
    kind: PANIC
    trigger { at_time_ns: 1000 }
    cpus: 3
  }
  events {
    kind: HMI
    trigger { after_handover_ns: 1000 }
    all_cpus: true
  }
)pb";

// A, with the panic later and the post-hand-over event later: nothing changes order relative to the steps.
inline constexpr const char* kRowAShifted = R"pb(
  name: "A shifted"
  machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 offline: 3 }
  events {
    kind: PANIC
    trigger { at_time_ns: 777777 }
    cpus: 1
  }
  events {
    kind: HMI
    trigger { after_handover_ns: 5000000 }
    all_cpus: true
  }
)pb";

// A reached differently: a system reset instead of an HMI wakes the stopped thread after hand-over.
inline constexpr const char* kRowAByReset = R"pb(
  name: "A by reset"
  machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 offline: 2 }
  events {
    kind: PANIC
    trigger { at_time_ns: 1000 }
    cpus: 0
  }
  events {
    kind: SYSTEM_RESET
    trigger { after_handover_ns: 1000 }
    cpus: 2
  }
)pb";

// B: a stray doorbell wakes offline thread 1 between its wake and its kdump check (DOMAIN §3.2).
inline constexpr const char* kRowB = R"pb(
  name: "B"
  machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 1 offline: 1 panic_timeout: 10 }
  events {
    kind: STRAY_DOORBELL
    cpus: 1
    trigger { at_time_ns: 1000 }
  }
  events {
    kind: PANIC
    cpus: 0
    trigger { on_label { cpu: 1 label: "L3" } }
  }
  schedule {
    choices { cpu: 1 steps: 100 }
    choices { cpu: 0 steps: 100 }
    choices { cpu: 1 steps: 3 }
    choices { cpu: 0 steps: 5000 }
  }
)pb";

// C: two CPUs panic concurrently, with the firmware system reset (the column where the loser is collected).
inline constexpr const char* kRowCSysreset = R"pb(
  name: "C sysreset"
  machine {
    family: PPC
    platform: POWER9_DOORBELL_XIVE
    cores: 2
    threads_per_core: 2
    panic_timeout: 10
    firmware { system_reset_supported: true }
  }
  events {
    kind: PANIC
    trigger { at_time_ns: 1000 }
    cpus: 0
  }
  events {
    kind: PANIC
    trigger { at_time_ns: 1000 }
    cpus: 2
  }
)pb";

// J: B with panic_timeout 0: the initiator that misses a responder waits for an operator.
inline constexpr const char* kRowJ = R"pb(
  name: "J"
  machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 1 offline: 1 panic_timeout: 0 }
  events {
    kind: STRAY_DOORBELL
    cpus: 1
    trigger { at_time_ns: 1000 }
  }
  events {
    kind: PANIC
    cpus: 0
    trigger { on_label { cpu: 1 label: "L3" } }
  }
  schedule {
    choices { cpu: 1 steps: 100 }
    choices { cpu: 0 steps: 100 }
    choices { cpu: 1 steps: 3 }
    choices { cpu: 0 steps: 5000 }
  }
)pb";

// H: normal kexec on x86 with an offline CPU in MWAIT; relocation overwrites old kernel data.
inline constexpr const char* kRowH = R"pb(
  name: "H"
  machine { family: X86 platform: X86_INTEL_MWAIT cores: 2 threads_per_core: 2 offline: 3 kexec_image_loaded: true }
  events {
    kind: KEXEC
    trigger { at_time_ns: 100000 }
    cpus: 0
  }
)pb";

// A on arm64: the offline CPU is in PSCI firmware; an MCE to everyone after hand-over.
inline constexpr const char* kRowAArm64 = R"pb(
  name: "A arm64"
  machine { family: ARM64 platform: ARM64_PSCI cores: 2 threads_per_core: 2 offline: 3 }
  events {
    kind: PANIC
    trigger { at_time_ns: 100000 }
    cpus: 1
  }
  events {
    kind: MCE
    trigger { after_handover_ns: 1000 }
    all_cpus: true
  }
)pb";

// DOMAIN §3.9 without INIT/SIPI: every x86 park is HLT, and an NMI after the relocation reaches it through the
// replaced IDT, in the reference as in every target (a hazard of the machine, not a divergence).
inline constexpr const char* kKexecHltThenNmi = R"pb(
  machine {
    family: X86
    platform: X86_INTEL_MWAIT
    cores: 1
    threads_per_core: 2
    offline: 1
    kexec_image_loaded: true
    firmware { init_sipi_wakeup: false }
  }
  events {
    kind: KEXEC
    trigger { at_time_ns: 1000 }
    cpus: 0
  }
  events {
    kind: NMI
    trigger { after_handover_ns: 1000 }
    cpus: 1
  }
)pb";

}  // namespace crashdiff::testing
