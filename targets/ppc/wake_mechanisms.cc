// How a wake is sent (DOMAIN §2.4) and cleared (§2.5), and the interrupt handlers that turn a taken IPI into
// smp_ipi_demux(). Sources: arch/powerpc/kernel/smp.c smp_muxed_ipi_message_pass / smp_ipi_demux,
// kernel/dbell.c doorbell_global_ipi / doorbell_exception, platforms/powernv/smp.c pnv_cause_ipi,
// sysdev/xics/icp-native.c (cause_ipi, flush_interrupt, get_irq), sysdev/xics/icp-opal.c (flush loops until
// opal_int_eoi reports nothing more), sysdev/xive/common.c (xive_cause_ipi, xive_flush_interrupt).
#include "targets/ppc/ppc_kernel.h"

namespace crashdiff::ppc {

// smp_muxed_ipi_message_pass(): full barrier, set the message byte, then the platform's cause_ipi.
Task<> PpcKernel::MessagePass(Cpu& cpu, uint32_t target, Msg msg, Label l) {
  PerCpu& t = s_.cpu[target];
  co_await cpu.barrier(l);
  Var* byte = msg == Msg::kNmiIpi ? t.msg_nmi : msg == Msg::kReschedule ? t.msg_resched : t.msg_call;
  co_await cpu.write(*byte, 1, l);
  co_await CauseIpi(cpu, target, l);
}

// doorbell_global_ipi() / doorbell_core_ipi(): host-IPI flag, barrier ("msgsnd is treated as a store"), msgsnd.
Task<> PpcKernel::DoorbellSend(Cpu& cpu, uint32_t target, Label l) {
  co_await cpu.write(*s_.cpu[target].host_ipi, 1, l);
  co_await cpu.barrier(l);
  Cpu& t = m_.cpu(target);
  co_await cpu.hw_op(l, "msgsnd doorbell cpu" + std::to_string(target), [&t] { t.hw().doorbell = true; });
}

Task<> PpcKernel::CauseIpi(Cpu& cpu, uint32_t target, Label l) {
  Cpu& t = m_.cpu(target);
  switch (platform()) {
    case pb::POWER8_XICS: {
      // pnv_cause_ipi(): a core doorbell if the target is in our sibling mask (offline threads were removed
      // from it in __cpu_disable), else the XICS native ICP: host-IPI flag and MFRR = IPI_PRIORITY by MMIO.
      bool sibling = false;
      if (t.core() == cpu.core()) sibling = co_await cpu.read(*s_.cpu[target].in_siblings, l) != 0;
      if (sibling) {
        co_await DoorbellSend(cpu, target, l);
        co_return;
      }
      co_await cpu.write(*s_.cpu[target].host_ipi, 1, l);
      co_await cpu.barrier(l);
      co_await cpu.hw_op(l, "icp_native_set_qirr cpu" + std::to_string(target) + " = 4",
                         [&t] { t.hw().mfrr = kIpiPriority; });
      co_return;
    }
    case pb::POWER9_ICP_OPAL:
      // [I] XICS emulation on OPAL with the IPI carried by the ICP: icp_opal_cause_ipi -> opal_int_set_mfrr.
      co_await cpu.write(*s_.cpu[target].host_ipi, 1, l);
      co_await cpu.barrier(l);
      co_await cpu.hw_op(l, "opal_int_set_mfrr cpu" + std::to_string(target) + " = 4",
                         [&t] { t.hw().mfrr = kIpiPriority; });
      co_return;
    case pb::POWER9_XIVE_IPI:
      // xive_cause_ipi(): trigger the target's IPI source. [I] Its ESB coalesces: while an IPI event is still
      // queued (P bit set) a second trigger adds no entry.
      co_await cpu.barrier(l);
      co_await cpu.hw_op(l, "xive_cause_ipi cpu" + std::to_string(target), [&t] {
        for (const XiveEntry& e : t.hw().xive_queue) {
          if (e.is_ipi) return;
        }
        t.hw().xive_queue.push_back(XiveEntry{true, 0});
      });
      co_return;
    default:
      co_await DoorbellSend(cpu, target, l);  // POWER9 with doorbells: doorbell_global_ipi
      co_return;
  }
}

// L4 of the offline loop: clear what woke us, by its SRR1 reason only (pnv_smp_cpu_kill_self, v4.14 and
// 4145f358644b alike: neither looks at irq_happened here). replay_reset: the versions that replay a system reset
// wake (SRR1_WAKERESET) through the reset handler.
Task<> PpcKernel::ClearWake(Cpu& cpu, Wake wake, bool replay_reset) {
  const uint32_t reason = wake.srr1 & kSrr1WakeMask;
  if (reason == kSrr1WakeEe || reason == kSrr1WakeHvi) {
    co_await ControllerFlush(cpu, "L4");
  } else if (reason == kSrr1WakeHdbell) {
    // msgclr is ordered like a store: a later load may be performed before it (hence the loop's smp_mb).
    co_await cpu.hw_store("L4", "msgclr", [&cpu] { cpu.hw().doorbell = false; });
  } else if (reason == kSrr1WakeReset && replay_reset) {
    // irq_set_pending_from_srr1() -> replay_system_reset(): the reset handler with synthesised registers.
    co_await cpu.local("L4", "replay_system_reset");
    co_await SystemResetException(cpu, Regs{true, 0x100});
  } else {
    co_await cpu.local("L4", "nothing to clear");  // HMI (handled in real mode), DEC, 0 (KVM exit), reset (pre-fix)
  }
}

Task<> PpcKernel::ControllerFlush(Cpu& cpu, Label l) {
  switch (platform()) {
    case pb::POWER8_XICS: co_await IcpFlush(cpu, false, l); break;
    case pb::POWER9_ICP_OPAL: co_await IcpFlush(cpu, true, l); break;
    default: co_await XiveFlush(cpu, l); break;
  }
}

// MFRR = 0xff. icp_native_set_qirr(): out_8() is a sync, then a cache-inhibited store, which later cacheable loads
// may still overtake (buffered). opal_int_set_mfrr(): an OPAL call, done by firmware before it returns.
Task<> PpcKernel::IcpClearMfrr(Cpu& cpu, bool opal, Label l) {
  if (opal) {
    co_await cpu.ordered_hw_op(l, "set MFRR = 0xff", [&cpu] { cpu.hw().mfrr = kMfrrNone; });
  } else {
    co_await cpu.hw_store(l, "set MFRR = 0xff", [&cpu] { cpu.hw().mfrr = kMfrrNone; }, /*sync_first=*/true);
  }
}

// icp_native_flush_interrupt (one accept per call) / icp_opal_flush_interrupt (loops while EOI reports more).
Task<> PpcKernel::IcpFlush(Cpu& cpu, bool drain_all, Label l) {
  PerCpu& p = pc(cpu);
  for (;;) {
    // Reading XIRR accepts the most favoured source: the IPI (priority 4) before devices (priority 5).
    // in_be32() / an OPAL call: ordered after this CPU's earlier stores (the accessor's sync; the firmware call).
    const int64_t vec = co_await cpu.ordered_hw_op(l, drain_all ? "opal_int_get_xirr" : "icp_native_get_xirr", [&cpu] {
      CpuHw& hw = cpu.hw();
      if (hw.mfrr != kMfrrNone) return kXicsIpi;
      if (!hw.device_pending.empty()) {
        const int64_t v = *hw.device_pending.begin();
        hw.device_pending.erase(hw.device_pending.begin());
        return v;
      }
      return kXicsSpurious;
    });
    if (vec == kXicsSpurious) co_return;
    if (vec == kXicsIpi) {
      co_await cpu.write(*p.host_ipi, 0, l);
      co_await IcpClearMfrr(cpu, drain_all, l);
    } else {
      m_.Log(cpu.id(), "XICS: hw interrupt 0x" + std::to_string(vec) + " to offline cpu, disabling");
      co_await cpu.hw_op(l, "xics_mask_unknown_vec",
                         [&cpu, vec] { cpu.hw().masked_vectors.insert(static_cast<uint32_t>(vec)); });
    }
    if (!drain_all) {
      co_await cpu.local(l, "EOI");
      co_return;
    }
    const bool more = co_await cpu.ordered_hw_op(
        l, "opal_int_eoi", [&cpu] { return cpu.hw().mfrr != kMfrrNone || !cpu.hw().device_pending.empty(); });
    if (!more) co_return;
  }
}

// xive_flush_interrupt(): drain the queue; IPIs are dropped, device interrupts re-triggered to their new
// destination ([I] the lowest-numbered online CPU, where xive_smp_disable_cpu migrated them).
Task<> PpcKernel::XiveFlush(Cpu& cpu, Label l) {
  for (;;) {
    const int64_t entry = co_await cpu.hw_op(l, "xive_scan_interrupts", [&cpu]() -> int64_t {
      auto& q = cpu.hw().xive_queue;
      if (q.empty()) return -1;
      const XiveEntry e = q.front();
      q.pop_front();
      return e.is_ipi ? kXicsIpi : static_cast<int64_t>(e.vector);
    });
    if (entry < 0) co_return;
    if (entry == kXicsIpi) continue;
    const uint32_t first = co_await s_.online_mask.First(cpu, l);  // cpumask_first(cpu_online_mask)
    if (first == kNoCpu) continue;
    Cpu& dest = m_.cpu(first);
    co_await cpu.hw_op(l, "xive retrigger to cpu" + std::to_string(dest.id()), [&dest, entry] {
      dest.hw().xive_queue.push_back(XiveEntry{false, static_cast<uint32_t>(entry)});
    });
  }
}

// doorbell_exception(): clear the host-IPI flag, demux messages.
Task<> PpcKernel::DoorbellException(Cpu& cpu) {
  co_await cpu.write(*pc(cpu).host_ipi, 0, "N1");
  co_await IpiDemux(cpu, Regs{true, 0xe80});
}

// External interrupt through XICS (native or OPAL): accept one source; the IPI goes to the demux.
Task<> PpcKernel::XicsExternal(Cpu& cpu) {
  const int64_t vec = co_await cpu.ordered_hw_op("N1", "get_xirr", [&cpu] {
    CpuHw& hw = cpu.hw();
    if (hw.mfrr != kMfrrNone) return kXicsIpi;
    if (!hw.device_pending.empty()) {
      const int64_t v = *hw.device_pending.begin();
      hw.device_pending.erase(hw.device_pending.begin());
      return v;
    }
    return kXicsSpurious;
  });
  if (vec == kXicsIpi) {
    co_await cpu.write(*pc(cpu).host_ipi, 0, "N1");
    co_await IcpClearMfrr(cpu, platform() == pb::POWER9_ICP_OPAL, "N1");
    co_await IpiDemux(cpu, Regs{true, 0x500});
  } else if (vec != kXicsSpurious) {
    co_await cpu.local("N1", "device interrupt handled, EOI");
  }
}

// HVI through XIVE: pop one event; an IPI goes to the demux, a device interrupt is handled.
Task<> PpcKernel::XiveExternal(Cpu& cpu) {
  const int64_t entry = co_await cpu.hw_op("N1", "xive_get_irq", [&cpu]() -> int64_t {
    auto& q = cpu.hw().xive_queue;
    if (q.empty()) return -1;
    const XiveEntry e = q.front();
    q.pop_front();
    return e.is_ipi ? kXicsIpi : static_cast<int64_t>(e.vector);
  });
  if (entry == kXicsIpi) {
    co_await IpiDemux(cpu, Regs{true, 0xea0});
  } else if (entry >= 0) {
    co_await cpu.local("N1", "device interrupt handled, EOI");
  }
}

// smp_ipi_demux(): take each message byte (xchg to 0) and act on it, CALL_FUNCTION first; loop while any is set.
// [I] Only v4.14's smp_send_stop and the normal kexec (a kexec image loaded) send CALL_FUNCTION in these models;
// elsewhere nothing sets that byte, so its (always failing) check is left out rather than adding a step to every
// demux.
Task<> PpcKernel::IpiDemux(Cpu& cpu, Regs regs) {
  PerCpu& p = pc(cpu);
  const bool call_function_used = CallFunctionIpiUsed();
  bool resched = false;
  for (;;) {
    bool any = false;
    if (call_function_used && co_await cpu.cmpxchg(*p.msg_call, 1, 0, "N1") == 1) {
      any = true;
      co_await FlushCallFunctionQueue(cpu, "N1");  // generic_smp_call_function_interrupt
    }
    if (co_await cpu.cmpxchg(*p.msg_resched, 1, 0, "N1") == 1) {
      any = true;
      resched = true;
      co_await cpu.local("N1", "scheduler_ipi");
    }
    if (co_await cpu.cmpxchg(*p.msg_nmi, 1, 0, "N1") == 1) {
      any = true;
      co_await NmiIpiHandle(cpu, regs);  // nmi_ipi_action
    }
    if (!any) break;
  }
  // On the way out of the interrupt the scheduler switches to a stopper woken with work queued (hotplug.cc).
  if (resched && co_await stop_machine_.TakeWork(cpu)) co_await CpuStopper(cpu);
}

// flush_smp_call_function_queue(): llist_del_all(call_single_queue), then run the queued functions in order. The
// two queued here (v4.14 smp_send_stop's stop_this_cpu, the normal kexec's kexec_smp_down) never return, so the
// queue holds the first one queued; its take is one cmpxchg per function it may be (the second only when the first
// found the other function).
Task<> PpcKernel::FlushCallFunctionQueue(Cpu& cpu, Label l) {
  Var& queue = *pc(cpu).call_queue;
  const int64_t fn = co_await cpu.cmpxchg(queue, kFnStopThisCpu, kFnNone, l);
  if (fn == kFnStopThisCpu) {
    co_await StopThisCpuV4_14(cpu);
  } else if (fn == kFnKexecSmpDown && co_await cpu.cmpxchg(queue, kFnKexecSmpDown, kFnNone, l) == kFnKexecSmpDown) {
    co_await KexecSmpDown(cpu);
  }
}

}  // namespace crashdiff::ppc
