/* The powernv offline-thread crash wake (DOMAIN §3.2/§3.3) as a Promela model, for a side-by-side run of SPIN
 * and `crashdiff explore` on the same questions (bench/spin/run.sh, docs/EXPLORE.md "Side by side with SPIN").
 *
 * Written from the crashdiff models, not from the kernel directly: targets/ppc/offline_loop.cc (OfflineLoop,
 * OfflineEntryV4_14, OfflineWakeV1Patch, OfflineWake4145f358, PnvCpuOffline), targets/ppc/initiator.cc
 * (MachineCrashShutdownV4_14, CrashKexecPrepareCpus4145f358, CrashSendIpi4145f358, CrashWaitForCpus,
 * CrashShutdownTail), targets/ppc/wake_mechanisms.cc (MessagePass, DoorbellSend, ClearWake),
 * targets/ppc/receiver.cc (CrashIpiCallbackNoOnlineTest), docs/FIDELITY-ppc.md (step table). The scenario is
 * bench/explore/lost_wake_<N>_offline.textproto: POWER9_DOORBELL_XIVE without firmware system reset (crash wakes
 * are doorbells through the muxed message pass), cpu0 online (the initiator), cpus 1..N offline, a stray doorbell
 * to cpu1 at 1000 ns, the panic on cpu0 when cpu1 executes L3, panic_timeout 10.
 *
 *   spin -a -DN=4 -DVARIANT=1 lost_wake.pml     VARIANT 1 = ppc-v1-check-before-clear (L2a: check, then L4 clear)
 *                                               VARIANT 2 = ppc-upstream-clear-then-check (L4 clear, L5 mb, L6 check)
 *
 * One Promela statement per crashdiff step that touches shared state; CPU-private steps (barriers: the simulator
 * is sequentially consistent, as Promela is; `local` steps; per-CPU variables only their own CPU touches) are
 * `skip`s kept for the step-by-step correspondence (SPIN's partial-order reduction treats them as local). What is
 * left out, and why it does not change the question:
 *  - panic() / crash_kexec arbitration (P1-P4, K0-K2) and the I5a NMI-IPI round: with cpu0 the only online CPU
 *    they touch variables no other CPU touches (panic_cpu, the kexec lock, nmi_*): initiator-private steps.
 *  - The offline threads keep interrupts hard-disabled in the loop (E1): the doorbell only ends their stop (SRR1
 *    HDBELL), it is never taken as an interrupt; msg_nmi is written by the initiator and read by nobody here.
 *  - I11 (crash_kexec_wait_realmode) waits for online CPUs only (none besides cpu0), I13 for online CPUs in OPAL
 *    (none): both initiator-private here.
 *  - Time: crashdiff's clock advances 1 ns per step and jumps to the next deadline when every CPU is blocked. With
 *    fewer than 1000 steps before it, the stray doorbell (at 1000 ns) and the I7 10 s timeout both happen exactly
 *    when every CPU is blocked: Promela's `timeout`.
 *
 * The property (crashdiff PR3 "a CPU sent a crash wake does not go back to sleep uncollected", oracle/pr_wake.cc,
 * checked at hand-over): at I14 every offline thread that was sent a crash wake has answered (R3). The only way
 * to reach I14 without that is the I7 timeout, taken only when every CPU is blocked, i.e. the unanswered thread
 * is asleep in stop with its latch clear: a lost wake. */

#ifndef N
#define N 1
#endif
#ifndef VARIANT
#define VARIANT 1
#endif
#define V1 1
#define UPSTREAM 2

/* host_ipi and msg_nmi are written (by the initiator and by each thread's L1) and read by no step in this
 * scenario. crashdiff keeps them (its dependency relation makes the writes of the initiator and of thread i
 * dependent); SPIN's static partial-order reduction treats any global access as unsafe, so they interleave every
 * thread's L1 with every other step. -DWRITE_ONLY=0 turns those stores into skips: the same behaviours, the same
 * verdicts, 20-25% fewer states at N = 1..4, and no help where the search blows up (docs/EXPLORE.md). */
#ifndef WRITE_ONLY
#define WRITE_ONLY 1
#endif
#if WRITE_ONLY
#define WO(stmt) stmt
#else
#define WO(stmt) skip
#endif

#define CPU_DEAD 1
#define KEXEC_STATE_REAL_MODE 2

short crashing_cpu = -1;     /* s_.crashing_cpu: kdump_in_progress() is crashing_cpu >= 0 */
bit latch[N + 1];            /* CpuHw::doorbell of each CPU (msgsnd sets it, msgclr clears it, it ends stop) */
bit host_ipi[N + 1];         /* kvmppc host_ipi flag: L1 clears it, DoorbellSend sets it */
bit msg_nmi[N + 1];          /* PPC_MSG_NMI_IPI message byte (MessagePass) */
byte cpus_in_crash = 0;      /* R3 atomic_inc, I7 waits for N (ncpus = present - 1) */
int cpus_state_saved = 0;    /* R2: mask of CPUs whose registers are saved */
bit time_to_dump = 0;        /* I10 releases the receivers (R4) */
byte kexec_state[N + 1];     /* R5: REAL_MODE before opal_return_cpu */
bit panic_go = 0;            /* the scenario's PANIC event, fired by cpu1's L3 */
bit sent[N + 1];             /* ghost: RecordWakeSent (I5b) */
bit answered[N + 1];         /* ghost: RecordResponse (R3) */

/* An offline thread: OfflineEntryV4_14, then the pnv_smp_cpu_kill_self loop, and crash_ipi_callback once it sees
 * kdump_in_progress(). */
proctype Offline(byte me) {
  byte cpu_state;            /* per-CPU, only this CPU touches it in these scenarios (no hotplug request) */
  skip;                      /* E1 hard_irq_disable */
  skip;                      /* E2 idle_task_exit */
  cpu_state = CPU_DEAD;      /* E3 generic_set_cpu_dead */
  skip;                      /* E3 smp_wmb */
  skip;                      /* E4 LPCR &= ~PECE1 */
loop:
  skip;                      /* H0 generic_check_cpu_restart: cpu_state is never CPU_UP_PREPARE here */
  WO(host_ipi[me] = 0);      /* L1 kvmppc_set_host_ipi(cpu, 0) */
  skip;                      /* L2 run-latch off */
end_stop:
  latch[me] == 1;            /* L2 stop: runs on at once if the doorbell latch is set, else sleeps until it is */
  if                         /* L3 WARN_ON(lazy_irq_pending()); the PANIC event triggers on cpu1's L3 */
  :: me == 1 -> panic_go = 1
  :: else -> skip
  fi;
#if VARIANT == V1
  /* OfflineWakeV1Patch: kdump_in_progress() right after the wake, before the clear */
  if
  :: crashing_cpu >= 0 -> goto receiver   /* L2a -> crash_ipi_callback(NULL) */
  :: else -> skip
  fi;
  latch[me] = 0;             /* L4 msgclr */
  skip;                      /* L5 smp_mb */
#else
  /* OfflineWake4145f358: clear, full barrier, then kdump_in_progress() */
  latch[me] = 0;             /* L4 msgclr */
  skip;                      /* L5 smp_mb */
  if
  :: crashing_cpu >= 0 -> skip; goto receiver   /* L6 read; L6 ppc_save_regs */
  :: else -> skip
  fi;
#endif
  skip;                      /* L7 cpu_core_split_required() */
  skip;                      /* L8 read cpu_state (SRR1 != 0): not CPU_UP_PREPARE */
  skip;                      /* L8 "DBG: Unexpected exit while offline" */
  goto loop;

receiver:                    /* CrashIpiCallbackNoOnlineTest */
  skip;                      /* R1 hard_irq_disable */
  if                         /* R2 read cpus_state_saved; crash_save_cpu; fetch_add */
  :: ((cpus_state_saved >> me) & 1) == 0 ->
       skip;
       cpus_state_saved = cpus_state_saved | (1 << me)
  :: else -> skip
  fi;
  d_step { cpus_in_crash++; answered[me] = 1 }   /* R3 atomic_inc (+ RecordResponse) */
  skip;                      /* R3 smp_mb */
end_receiver:
  time_to_dump == 1;         /* R4 wait for time_to_dump */
  skip;                      /* R5 xive_teardown_cpu: this CPU's own queue */
  skip;                      /* R5 mb */
  kexec_state[me] = KEXEC_STATE_REAL_MODE;   /* R5 */
  skip                       /* R5 mb; opal_return_cpu: parked in firmware */
}

/* cpu0: panic -> crash_kexec -> default_machine_crash_shutdown (v4.14 form) with crash_kexec_prepare_cpus of
 * 4145f358644b (crash_wake_offline: wake each offline present CPU, wait for present - 1). */
proctype Initiator() {
  byte c;
end_idle:
  panic_go == 1;             /* PANIC event (on_label cpu1 L3) */
  skip;                      /* P1 local_irq_disable */
  skip;                      /* P2 panic_cpu = 0: initiator-private (see the header) */
  skip;                      /* K1 kexec lock */
  skip;                      /* K2 crash_setup_regs */
  skip;                      /* I1 hard_irq_disable */
  crashing_cpu = 0;          /* I2 */
  skip;                      /* I4 read online_mask: only cpu0 online */
  /* I5a smp_send_nmi_ipi(ALL_OTHERS): 14 steps on nmi_ipi_lock/busy/function/pending and online_mask, which
   * only cpu0 touches here (no other online CPU; offline threads never take the IPI): initiator-private. */
  c = 0;
  do
  :: c < 14 -> c++
  :: else -> break
  od;
  skip;                      /* I5b kdump_in_progress(): crashing_cpu was written by this CPU */
  skip;                      /* I5b read online_mask for cpu0: online, skipped */
  c = 1;
  do
  :: c <= N ->
       d_step { sent[c] = 1 };   /* I5b read online_mask: c offline; RecordWakeSent */
       skip;                 /* MessagePass smp_mb */
       WO(msg_nmi[c] = 1);   /* message byte */
       WO(host_ipi[c] = 1);  /* DoorbellSend: kvmppc host_ipi */
       skip;                 /* DoorbellSend barrier */
       latch[c] = 1;         /* msgsnd */
       c++
  :: else -> break
  od;
  skip;                      /* I6 smp_wmb */
  if                         /* I7 wait for cpus_in_crash >= ncpus for 10 s */
  :: cpus_in_crash >= N -> skip
  :: timeout -> skip         /* 10 s: "ERROR: n cpu(s) not responding"; panic_timeout > 0: go on */
  fi;
  skip;                      /* I9 crash_save_cpu(initiator) */
  time_to_dump = 1;          /* I10 */
  skip;                      /* I11 wait for online CPUs in real mode: none */
  skip;                      /* I12 */
  skip;                      /* I13 pnv_kexec_cpu_down(1, 0) */
  /* I14 hand-over. PR3: every thread sent a crash wake answered before it. */
  c = 1;
  do
  :: c <= N -> assert(!sent[c] || answered[c]); c++
  :: else -> break
  od
}

/* The scenario's STRAY_DOORBELL to cpu1 at 1000 ns: the first moment every CPU is blocked. */
proctype StrayDoorbell() {
  timeout -> latch[1] = 1
}

init {
  byte i;
  atomic {
    run Initiator();
    i = 1;
    do
    :: i <= N -> run Offline(i); i++
    :: else -> break
    od;
    run StrayDoorbell()
  }
}
