// kernel/stop_machine.c as cpu_down's takedown_cpu() uses it: stop_machine_cpuslocked(take_cpu_down, cpumask_of(t))
// queues multi_cpu_stop() on the stopper of every online CPU, and the function runs on the target only once every
// one of them has acknowledged MULTI_STOP_PREPARE (interrupts as they were: on, for a stopper) and then
// MULTI_STOP_DISABLE_IRQ (interrupts off). A CPU that never runs its stopper (one spinning with interrupts off in a
// crash or kexec path) holds everyone in PREPARE, where they still take interrupts: that is why a CPU being taken
// down can still answer a crash or reboot IPI. Sources: torvalds/linux kernel/stop_machine.c
// stop_machine_cpuslocked(), stop_cpus() / queue_stop_cpus_work(), multi_cpu_stop(), ack_state() / set_state(),
// cpu_stop_signal_done(); kernel/cpu.c takedown_cpu() (v4.14 to v6.x: the same states and acknowledgements). Used by
// every family: each supplies how it reads the online mask, wakes a stopper and turns interrupts off and on.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "sim/cpu.h"
#include "sim/machine.h"
#include "sim/task.h"

namespace crashdiff::common {

class StopMachine {
 public:
  // How the architecture's kernel reads num_online_cpus() and walks cpu_online_mask (each as the steps it takes).
  using ReadCount = std::function<Task<int64_t>(Cpu&, Label)>;
  using ReadCpus = std::function<Task<std::vector<uint32_t>>(Cpu&, Label)>;
  // multi_cpu_stop's interrupt handling on the architecture: off for MULTI_STOP_DISABLE_IRQ, restored after EXIT.
  using IrqStep = std::function<Task<>(Cpu&, Label)>;
  // A stopper's wake as the requester sends it (wake_up_process() of a remote CPU's stopper: an IPI).
  using Wake = std::function<Task<>(Cpu& requester, uint32_t c)>;

  StopMachine(Machine& m, ReadCount num_online, ReadCpus online_cpus);
  // x86, arm64: one variable per CPU of cpu_online_mask, and __num_online_cpus.
  StopMachine(Machine& m, const std::vector<Var*>& online, Var& num_online);

  // powerpc: local_irq_disable() is the soft mask, hard_irq_disable() MSR[EE], and local_irq_restore() replays what
  // came in meanwhile. Elsewhere both are the CPU's interrupt flag.
  void set_irq_steps(IrqStep off, IrqStep restore) {
    irq_off_ = std::move(off);
    irq_restore_ = std::move(restore);
  }

  // On the requester, under cpu_add_remove_lock: stop_machine_cpuslocked() with `target` the only active CPU.
  // Queues the work on every CPU it reads online and wakes each stopper (the requester's own last, as
  // preempt_disable() around the queueing defers it); the requester's CPU then runs its own stopper while the
  // requester sleeps in wait_for_completion(), and the requester goes on once every queued stopper signalled done.
  Task<> Run(Cpu& cpu, uint32_t target, Wake wake);
  // ... with each wake one ordered hardware step (wake(c), described by wake_what).
  Task<> Run(Cpu& cpu, uint32_t target, std::function<void(uint32_t)> wake, Text wake_what);

  // On a CPU whose stopper was woken (its wake IPI, taken with interrupts on): takes its queued work, if any, and
  // turns interrupts on again for the stopper thread.
  Task<bool> TakeWork(Cpu& cpu);

  // multi_cpu_stop() up to MULTI_STOP_RUN: acknowledges PREPARE, waits, turns interrupts off and acknowledges
  // DISABLE_IRQ, waits for RUN. Returns whether this CPU is the active one, which now runs the function (the arch's
  // take_cpu_down) before Leave().
  Task<bool> Rendezvous(Cpu& cpu);
  // multi_cpu_stop() from RUN on: acknowledges RUN, waits for EXIT, restores interrupts (on), signals done.
  Task<> Leave(Cpu& cpu);

 private:
  // A state of this round: rounds never overlap (cpu_add_remove_lock), so values only grow and a stopper's wait is
  // monotone (Cpu::wait_at_least).
  int64_t At(int64_t state) const { return round_base_ + state; }
  Task<> Ack(Cpu& cpu, int64_t state, Label l);  // ack_state(): the last to acknowledge moves everyone on

  ReadCount num_online_;
  ReadCpus online_cpus_;
  IrqStep irq_off_;
  IrqStep irq_restore_;
  Var& state_;               // msdata.state
  Var& thread_ack_;          // msdata.thread_ack
  Var& nr_todo_;             // cpu_stop_done.nr_todo: stoppers queued and not yet done
  std::vector<Var*> work_;   // cpu_stopper.works: this round's work is queued on the CPU
  int64_t round_base_ = 0;   // state_ of this round's MULTI_STOP_NONE
  int64_t num_threads_ = 0;  // msdata.num_threads: num_online_cpus() when the round started
  uint32_t active_ = 0;      // msdata.active_cpus: the CPU the function runs on
};

}  // namespace crashdiff::common
