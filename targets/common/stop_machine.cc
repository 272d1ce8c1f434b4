#include "targets/common/stop_machine.h"

namespace crashdiff::common {
namespace {

// enum multi_stop_state. Each round's values sit above the last round's (StopMachine::At).
constexpr int64_t kPrepare = 1;
constexpr int64_t kDisableIrq = 2;
constexpr int64_t kRun = 3;
constexpr int64_t kExit = 4;
constexpr int64_t kStatesPerRound = 8;

}  // namespace

StopMachine::StopMachine(Machine& m, ReadCount num_online, ReadCpus online_cpus)
    : num_online_(std::move(num_online)),
      online_cpus_(std::move(online_cpus)),
      irq_off_([](Cpu& cpu, Label l) -> Task<> { co_await cpu.irq_disable(l); }),
      irq_restore_([](Cpu& cpu, Label l) -> Task<> { co_await cpu.irq_enable(l); }),
      state_(m.NewVar("multi_stop.state", 0)),
      thread_ack_(m.NewVar("multi_stop.thread_ack", 0)),
      nr_todo_(m.NewVar("cpu_stop_done.nr_todo", 0)),
      work_(m.NewVarArray("cpu_stopper.work", 0)) {}

StopMachine::StopMachine(Machine& m, const std::vector<Var*>& online, Var& num_online)
    : StopMachine(
          m, [&num_online](Cpu& cpu, Label l) -> Task<int64_t> { co_return co_await cpu.read(num_online, l); },
          [&online](Cpu& cpu, Label l) -> Task<std::vector<uint32_t>> {
            std::vector<uint32_t> cpus;
            for (uint32_t c = 0; c < online.size(); ++c) {
              if (co_await cpu.read(*online[c], l) == 1) cpus.push_back(c);
            }
            co_return cpus;
          }) {}

Task<> StopMachine::Run(Cpu& cpu, uint32_t target, std::function<void(uint32_t)> wake, Text wake_what) {
  co_await Run(cpu, target, [&wake, wake_what](Cpu& requester, uint32_t c) -> Task<> {
    co_await requester.ordered_hw_op("SM0", wake_what, [&wake, c] {
      wake(c);
      return static_cast<int64_t>(c);
    });
  });
}

Task<> StopMachine::Run(Cpu& cpu, uint32_t target, Wake wake) {
  round_base_ += kStatesPerRound;
  active_ = target;
  // stop_machine_cpuslocked(): num_threads = num_online_cpus(), then set_state(PREPARE): thread_ack first, smp_wmb.
  num_threads_ = co_await num_online_(cpu, "SM0");
  co_await cpu.write(thread_ack_, num_threads_, "SM0");
  co_await cpu.write_barrier("SM0");
  co_await cpu.write(state_, At(kPrepare), "SM0");
  // stop_cpus(cpu_online_mask): done.nr_todo = the mask's weight, then one work per CPU in it. The mask is read once
  // for both: a CPU that leaves it in between (stop_this_cpu) never runs its stopper either way.
  const std::vector<uint32_t> cpus = co_await online_cpus_(cpu, "SM0");
  co_await cpu.write(nr_todo_, static_cast<int64_t>(cpus.size()), "SM0");
  bool self_queued = false;
  for (uint32_t c : cpus) {
    // cpu_stop_queue_work(): the work on the stopper's list (under its lock), then wake_up_q().
    co_await cpu.write(*work_[c], 1, "SM0");
    if (c == cpu.id()) {
      self_queued = true;
      continue;
    }
    co_await wake(cpu, c);
  }
  // preempt_enable(), then wait_for_completion(): this CPU's stopper preempts the sleeping requester.
  if (self_queued && co_await TakeWork(cpu)) {
    co_await Rendezvous(cpu);  // never the active CPU: cpu_down refuses the CPU it runs on
    co_await Leave(cpu);
  }
  co_await cpu.wait_at_most(nr_todo_, 0, kForever, "SM5");
}

Task<bool> StopMachine::TakeWork(Cpu& cpu) {
  if (co_await cpu.cmpxchg(*work_[cpu.id()], 1, 0, "SM1") != 1) co_return false;
  // From the wake IPI (interrupts off on entry): the handler returns and the scheduler switches to the stopper
  // thread, which starts with interrupts on.
  if (!cpu.irq_enabled()) co_await cpu.irq_enable("SM1");
  co_return true;
}

Task<> StopMachine::Ack(Cpu& cpu, int64_t state, Label l) {
  if (co_await cpu.fetch_add(thread_ack_, -1, l) != 1) co_return;  // atomic_dec_and_test
  co_await cpu.write(thread_ack_, num_threads_, l);                // set_state(state + 1)
  co_await cpu.write_barrier(l);
  co_await cpu.write(state_, At(state + 1), l);
}

Task<bool> StopMachine::Rendezvous(Cpu& cpu) {
  // Nothing else runs on this CPU until EXIT but interrupts: a scenario's software event cannot start here.
  cpu.enter_critical();
  co_await cpu.wait_at_least(state_, At(kPrepare), kForever, "SM1");
  co_await Ack(cpu, kPrepare, "SM1");
  co_await cpu.wait_at_least(state_, At(kDisableIrq), kForever, "SM2");
  co_await irq_off_(cpu, "SM2");  // local_irq_disable(); hard_irq_disable()
  co_await Ack(cpu, kDisableIrq, "SM2");
  co_await cpu.wait_at_least(state_, At(kRun), kForever, "SM3");
  const bool active = cpu.id() == active_;
  // The function is kernel code of its own (take_cpu_down's dying callbacks): a fault can happen there.
  if (active) cpu.leave_critical();
  co_return active;
}

Task<> StopMachine::Leave(Cpu& cpu) {
  if (cpu.id() == active_) cpu.enter_critical();
  co_await Ack(cpu, kRun, "SM3");
  // EXIT's own acknowledgement moves the state past EXIT, which nobody waits for: not modelled.
  co_await cpu.wait_at_least(state_, At(kExit), kForever, "SM4");
  co_await irq_restore_(cpu, "SM4");  // local_irq_restore(): a stopper runs with interrupts on
  cpu.leave_critical();
  co_await cpu.atomic_add(nr_todo_, -1, "SM4");  // cpu_stop_signal_done(): the last one completes the requester
}

}  // namespace crashdiff::common
