// How the machine applies the scenario's events: hardware events set latches according to the platform's
// interrupt hardware; software events start kernel code (the Program's) on the CPU they name.
#include "sim/events.h"
#include "sim/machine.h"

namespace crashdiff {

std::vector<uint32_t> Machine::EventCpus(const pb::Event& event) const {
  std::vector<uint32_t> out;
  if (event.all_cpus() || event.kind() == pb::OPERATOR_RESET) {
    for (uint32_t c = 0; c < num_cpus(); ++c) out.push_back(c);
    return out;
  }
  out.assign(event.cpus().begin(), event.cpus().end());
  return out;
}

void Machine::ApplyHardware(const pb::Event& event) {
  const pb::Platform platform = config().platform();
  const bool xive = platform == pb::POWER9_DOORBELL_XIVE || platform == pb::POWER9_XIVE_IPI;
  const bool xics = platform == pb::POWER8_XICS || platform == pb::POWER9_ICP_OPAL;
  for (uint32_t id : EventCpus(event)) {
    CpuHw& hw = cpus_[id].hw();
    switch (event.kind()) {
      case pb::HMI: hw.hmi = true; break;
      case pb::MCE:
        if (cpus_[id].in_firmware() && cpus_[id].fw_reset() == FwReset::kResetAndMceToOsVector) {
          cpus_[id].LeaveFirmware(Source::kMce);
        }
        hw.mce = true;
        break;
      case pb::SYSTEM_RESET:
        // skiboot's OPAL_SIGNAL_SYSTEM_RESET stops the thread and raises the reset by direct control whatever the
        // thread runs (core/direct-controls.c do_sreset_cpu has no state check): a held thread leaves firmware.
        cpus_[id].RaiseSystemReset();
        break;
      case pb::NMI: hw.nmi = true; break;
      case pb::SMI: hw.smi = true; break;
      case pb::STRAY_DOORBELL: hw.doorbell = true; break;
      case pb::SPURIOUS_WAKE:
      case pb::KVM_EXIT: hw.spurious = true; break;
      case pb::XIVE_IPI:  // only a machine with a XIVE has an event queue to put it in
        if (xive) hw.xive_queue.push_back(XiveEntry{true, 0});
        break;
      case pb::STALE_ICP_IPI:
        if (xics) hw.mfrr = kIpiPriority;
        break;
      case pb::DEVICE_IRQ:
        if (xive) {
          hw.xive_queue.push_back(XiveEntry{false, event.vector()});
        } else if (xics) {
          if (!hw.masked_vectors.count(event.vector())) hw.device_pending.insert(event.vector());
        } else {
          hw.ipi_vectors.insert(event.vector());
        }
        break;
      case pb::MONITOR_WRITE:
        if (Var* line = cpus_[id].monitored()) StoreToLine(*line, line->value, kNoCpu, "MONITOR_WRITE");
        break;
      case pb::OPERATOR_RESET:
        if (config().family() == pb::PPC) {
          // The BMC resets every thread the hardware has enabled, also those firmware holds (openpower-proc-control
          // NMI::nMI: thread_stop + thread_sreset_all over pdbg's thread targets, no OPAL involved).
          cpus_[id].RaiseSystemReset();
        } else {
          hw.nmi = true;
        }
        break;
      default: break;
    }
  }
}

void Machine::Fire(PendingEvent& pe) {
  pe.fired = true;
  const pb::Event& e = *pe.event;
  const EventInfo* info = FindEventInfo(e.kind());
  const std::string name(EventName(e.kind()));
  if (info == nullptr) return;
  if (!info->software) {
    std::string who;
    for (uint32_t c : EventCpus(e)) who += (who.empty() ? "cpu" : ",") + std::to_string(c);
    Record(kNoCpu, TraceKind::kEvent, info->meaning, name + " " + who);
    ApplyHardware(e);
    return;
  }
  Cpu& cpu = cpus_[e.cpus(0)];
  if (!RunsKernelCode(cpu)) {
    Record(cpu.id(), TraceKind::kEventIgnored, info->meaning, name + ": cpu not running kernel code");
    return;
  }
  if (cpu.in_critical()) {
    Record(cpu.id(), TraceKind::kEventIgnored, info->meaning, name + ": cpu inside a modelled critical section");
    return;
  }
  // A system call needs task context: a CPU inside panic(), an interrupt handler or another call cannot start one.
  if (info->syscall && !InTaskContext(cpu)) {
    Record(cpu.id(), TraceKind::kEventIgnored, info->meaning, name + ": cpu not in task context");
    return;
  }
  const TraceTags tags{.mark = e.kind() == pb::KEXEC ? TraceMark::kKexecRequest : TraceMark::kNone};
  Record(cpu.id(), TraceKind::kEvent, info->meaning, name, 0, tags);
  PushFrame(cpu, program_->Software(cpu, e), false, Source::kSpurious);
}

}  // namespace crashdiff
