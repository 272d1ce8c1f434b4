// Program: the kernel model a run executes. Each target implements one; the simulator calls it to learn what a
// CPU runs at the start, what runs when it takes an interrupt, and what runs when a software event (panic, oops,
// kexec, hotplug) happens on it. The simulator knows nothing else of any target.
#pragma once

#include "proto/scenario.pb.h"
#include "sim/hw.h"
#include "sim/task.h"

namespace crashdiff {

class Cpu;

class Program {
 public:
  virtual ~Program() = default;
  // What CPU c runs from time 0: an online CPU's idle, an offline CPU's path into its offline loop, a
  // never-started CPU's firmware hold. The simulator runs the last two alone before step 0 until they block, enter
  // firmware or finish (settling, docs/SIMULATOR.md): they must get there within kSettleStepLimit steps.
  virtual Task<> Start(Cpu& cpu) = 0;
  // The vector for an interrupt the CPU takes. The simulator has already cleared latches that are cleared on
  // take and disabled interrupts; the handler returns to the interrupted code unless it never returns.
  virtual Task<> Interrupt(Cpu& cpu, Source source) = 0;
  // A software event (panic, oops, kexec, hotplug) on cpu, which is running ordinary kernel code.
  virtual Task<> Software(Cpu& cpu, const pb::Event& event) = 0;
  // What a thread runs when firmware starts it at the entry point the kernel gave (Cpu::QueueFirmwareStart,
  // PSCI CPU_ON): a fresh stack, everything masked. Only programs that ask firmware to start a thread override it.
  virtual Task<> FirmwareEntry(Cpu& cpu) { return Start(cpu); }
};

}  // namespace crashdiff
