// POWER8 KVM HV on the host's offline secondary threads (targets/ppc/kvm.cc): the per-thread kvm_hstate fields the
// idle path and kvmppc_run_core share. Only a machine with machine.kvm_hv has them (the default machine's idle
// path takes no KVM step, as before).
#pragma once

#include <cstdint>
#include <vector>

#include "sim/machine.h"

namespace crashdiff::ppc {

// kvm_hstate.hwthread_state (arch/powerpc/include/asm/kvm_book3s_asm.h, v4.14).
inline constexpr int64_t kHwthreadInKernel = 0;
inline constexpr int64_t kHwthreadInIdle = 1;
inline constexpr int64_t kHwthreadInKvm = 2;

// kvmppc_check_wake_reason() / kvmppc_read_intr() results (book3s_hv_rmhandlers.S, book3s_hv_builtin.c, v4.14).
inline constexpr int64_t kWakeNothing = 0;  // nothing needs doing
inline constexpr int64_t kWakeHost = 1;     // something the host must handle
inline constexpr int64_t kWakeGuest = -1;   // a guest wakeup (IPI or msgsnd for the guest)

struct KvmState {
  explicit KvmState(Machine& m)
      : hwthread_state(m.NewVarArray("kvm_hstate.hwthread_state", kHwthreadInKernel)),
        hwthread_req(m.NewVarArray("kvm_hstate.hwthread_req", 0)),
        vcore(m.NewVarArray("kvm_hstate.kvm_vcore", 0)),
        entry_exit_map(m.NewVarArray("vcore.entry_exit_map", 0)) {}
  std::vector<Var*> hwthread_state;  // per thread
  std::vector<Var*> hwthread_req;    // per thread: the host grabbed it (kvmppc_grab_hwthread)
  std::vector<Var*> vcore;           // per thread: kvm_hstate.kvm_vcore != NULL (a guest vcore to run)
  // per core (indexed by its primary thread): bit t = thread t entered the guest, bit 8 + t = thread t is exiting
  std::vector<Var*> entry_exit_map;
};

}  // namespace crashdiff::ppc
