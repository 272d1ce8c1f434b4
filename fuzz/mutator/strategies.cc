// The strategy table: one named row per structure-aware mutation. Each function makes one change a person would
// make when editing a reproducer (add an event, aim it at another CPU, move it to just after a timeout, ...);
// Fix() afterwards repairs anything the change broke.
#include <algorithm>
#include <vector>

#include "fuzz/mutator/fix.h"
#include "fuzz/mutator/mutator.h"
#include "fuzz/mutator/reflect.h"
#include "fuzz/mutator/value_pools.h"
#include "sim/events.h"
#include "sim/shared_var.h"
#include "sim/validate.h"

namespace crashdiff::fuzz {
namespace {

int PickIndex(Rng& rng, int size) {
  return static_cast<int>(rng.Below(static_cast<uint64_t>(size)));
}

// A trigger of the given case with a value from its pool.
void SetTrigger(pb::Trigger& t, pb::Trigger::WhenCase which, const pb::Scenario& s, MutationContext& ctx) {
  switch (which) {
    case pb::Trigger::kAtTimeNs: t.set_at_time_ns(PickTime(ctx.rng)); break;
    case pb::Trigger::kAfterHandoverNs: t.set_after_handover_ns(PickTime(ctx.rng)); break;
    case pb::Trigger::kOnLabel: {
      pb::OnLabel& on = *t.mutable_on_label();
      on.set_cpu(PickCpu(ctx.rng, s.machine()));
      on.set_label(PickLabel(ctx.rng, ctx.options.labels, s.machine().family()));
      if (ctx.rng.Chance(1, 4)) on.set_occurrence(2 + static_cast<uint32_t>(ctx.rng.Below(3)));
      break;
    }
    default: t.set_at_step(PickStep(ctx.rng, s.schedule().step_budget())); break;
  }
}

pb::Trigger::WhenCase RandomCase(Rng& rng) {
  static constexpr pb::Trigger::WhenCase kCases[] = {pb::Trigger::kAtStep, pb::Trigger::kAtTimeNs,
                                                     pb::Trigger::kOnLabel, pb::Trigger::kAfterHandoverNs};
  return kCases[rng.Below(4)];
}

// A CPU for slot index of e. A software event runs on cpus[0]: that one is drawn among CPUs that can run kernel
// code (validation refuses the others, and Fix would move the event back: a wasted mutation).
uint32_t PickEventCpu(const pb::Event& e, int index, const pb::Scenario& s, Rng& rng) {
  uint32_t c = PickCpu(rng, s.machine());
  const EventInfo* info = FindEventInfo(e.kind());
  if (index != 0 || info == nullptr || !info->software) return c;
  for (int tries = 0; tries < 8 && !CannotRunKernelCode(s, c).empty(); ++tries) c = PickCpu(rng, s.machine());
  return c;
}

void FillCpus(pb::Event& e, const pb::Scenario& s, MutationContext& ctx) {
  const EventInfo* info = FindEventInfo(e.kind());
  e.clear_cpus();
  e.set_all_cpus(false);
  if (info == nullptr) return;
  if (info->allows_all && ctx.rng.Chance(1, 4)) {
    e.set_all_cpus(true);
    return;
  }
  const uint32_t n = NumCpus(s.machine());
  const uint32_t want =
      info->min_cpus + static_cast<uint32_t>(ctx.rng.Below(std::min(info->max_cpus, n) - info->min_cpus + 1));
  for (uint32_t tries = 0; static_cast<uint32_t>(e.cpus_size()) < want && tries < 4 * want + 8; ++tries) {
    const uint32_t c = PickEventCpu(e, e.cpus_size(), s, ctx.rng);
    if (std::find(e.cpus().begin(), e.cpus().end(), c) == e.cpus().end()) e.add_cpus(c);
  }
}

pb::Event RandomEvent(const pb::Scenario& s, MutationContext& ctx) {
  pb::Event e;
  const auto& kinds = EventKindsOf(s.machine().family());
  // Crashes are what the fuzzer is about: a third of new events are PANIC/OOPS.
  e.set_kind(ctx.rng.Chance(1, 3) ? (ctx.rng.Chance(3, 4) ? pb::PANIC : pb::OOPS) : kinds[ctx.rng.Below(kinds.size())]);
  SetTrigger(*e.mutable_trigger(), RandomCase(ctx.rng), s, ctx);
  FillCpus(e, s, ctx);
  if (e.kind() == pb::DEVICE_IRQ) e.set_vector(16 + static_cast<uint32_t>(ctx.rng.Below(240)));
  return e;
}

bool MutateField(pb::Scenario& s, MutationContext& ctx) {
  return MutateRandomField(s, ctx);
}

bool ClearField(pb::Scenario& s, MutationContext& ctx) {
  return ClearRandomField(s, ctx);
}

bool InsertEvent(pb::Scenario& s, MutationContext& ctx) {
  if (s.events_size() >= ctx.options.max_events) return false;
  const pb::Event e = RandomEvent(s, ctx);
  const int at = PickIndex(ctx.rng, s.events_size() + 1);
  *s.add_events() = e;
  for (int i = s.events_size() - 1; i > at; --i) s.mutable_events()->SwapElements(i, i - 1);
  return true;
}

bool DeleteEvent(pb::Scenario& s, MutationContext& ctx) {
  if (s.events_size() == 0) return false;
  s.mutable_events()->DeleteSubrange(PickIndex(ctx.rng, s.events_size()), 1);
  return true;
}

bool DuplicateEvent(pb::Scenario& s, MutationContext& ctx) {
  if (s.events_size() == 0 || s.events_size() >= ctx.options.max_events) return false;
  const pb::Event copy = s.events(PickIndex(ctx.rng, s.events_size()));
  pb::Event& dup = *s.add_events();
  dup = copy;
  // A duplicate that fires at the same moment is rarely interesting; move it next to the original.
  pb::Trigger& t = *dup.mutable_trigger();
  switch (t.when_case()) {
    case pb::Trigger::kAtStep: t.set_at_step(Tweak(ctx.rng, t.at_step(), 0, s.schedule().step_budget())); break;
    case pb::Trigger::kAtTimeNs: t.set_at_time_ns(Tweak(ctx.rng, t.at_time_ns(), 0, kMaxTimeNs)); break;
    case pb::Trigger::kOnLabel: t.mutable_on_label()->set_occurrence(t.on_label().occurrence() + 1); break;
    default: break;
  }
  return true;
}

bool ReorderEvents(pb::Scenario& s, MutationContext& ctx) {
  if (s.events_size() < 2) return false;
  const int a = PickIndex(ctx.rng, s.events_size());
  int b = PickIndex(ctx.rng, s.events_size() - 1);
  if (b >= a) ++b;
  s.mutable_events()->SwapElements(a, b);
  return true;
}

bool RetargetEvent(pb::Scenario& s, MutationContext& ctx) {
  if (s.events_size() == 0) return false;
  pb::Event& e = *s.mutable_events(PickIndex(ctx.rng, s.events_size()));
  if (e.cpus_size() > 0 && ctx.rng.Chance(2, 3)) {
    const int i = PickIndex(ctx.rng, e.cpus_size());
    e.set_cpus(i, PickEventCpu(e, i, s, ctx.rng));  // Fix removes a duplicate
  } else {
    FillCpus(e, s, ctx);
  }
  return true;
}

// Sticky oneof: the trigger keeps its case and gets a new value from that case's pool.
bool RetimeEvent(pb::Scenario& s, MutationContext& ctx) {
  if (s.events_size() == 0) return false;
  pb::Trigger& t = *s.mutable_events(PickIndex(ctx.rng, s.events_size()))->mutable_trigger();
  const auto which = t.when_case() == pb::Trigger::WHEN_NOT_SET ? pb::Trigger::kAtStep : t.when_case();
  if (which == pb::Trigger::kOnLabel && ctx.rng.Chance(1, 2)) {
    pb::OnLabel& on = *t.mutable_on_label();
    if (ctx.rng.Chance(1, 2)) {
      on.set_occurrence(static_cast<uint32_t>(Tweak(ctx.rng, on.occurrence(), 1, 8)));
    } else {
      on.set_cpu(PickCpu(ctx.rng, s.machine()));
    }
    return true;
  }
  SetTrigger(t, which, s, ctx);
  return true;
}

bool SwitchTrigger(pb::Scenario& s, MutationContext& ctx) {
  if (s.events_size() == 0) return false;
  pb::Trigger& t = *s.mutable_events(PickIndex(ctx.rng, s.events_size()))->mutable_trigger();
  SetTrigger(t, RandomCase(ctx.rng), s, ctx);
  return true;
}

bool LabelTrigger(pb::Scenario& s, MutationContext& ctx) {
  if (s.events_size() == 0) return false;
  SetTrigger(*s.mutable_events(PickIndex(ctx.rng, s.events_size()))->mutable_trigger(), pb::Trigger::kOnLabel, s, ctx);
  return true;
}

// Moves every time trigger by the same amount: keeps the events' relative order, changes where the timeouts fall.
bool ShiftTimes(pb::Scenario& s, MutationContext& ctx) {
  const int64_t magnitude =
      static_cast<int64_t>(Timeouts()[ctx.rng.Below(Timeouts().size())] / (1 + ctx.rng.Below(1000)));
  const int64_t delta = ctx.rng.Chance(1, 2) ? magnitude : -magnitude;
  bool any = false;
  for (pb::Event& e : *s.mutable_events()) {
    pb::Trigger& t = *e.mutable_trigger();
    if (t.when_case() != pb::Trigger::kAtTimeNs) continue;
    const int64_t v = static_cast<int64_t>(t.at_time_ns()) + delta;
    t.set_at_time_ns(v < 0 ? 0 : static_cast<uint64_t>(v));
    any = true;
  }
  return any;
}

bool InsertChoice(pb::Scenario& s, MutationContext& ctx) {
  pb::Schedule& sched = *s.mutable_schedule();
  if (sched.choices_size() >= ctx.options.max_choices) return false;
  pb::Choice c;
  c.set_cpu(PickCpu(ctx.rng, s.machine()));
  static constexpr uint32_t kSteps[] = {1, 1, 2, 3, 5, 10, 50, 200};
  c.set_steps(kSteps[ctx.rng.Below(8)]);
  const int at = PickIndex(ctx.rng, sched.choices_size() + 1);
  *sched.add_choices() = c;
  for (int i = sched.choices_size() - 1; i > at; --i) sched.mutable_choices()->SwapElements(i, i - 1);
  return true;
}

// The shape of every race reproducer: a CPU is in a window (between a check and the act that relies on it) while
// another CPU runs long enough to act inside it (a crash's IPI round is 20-40 steps). Half the time a delay: CPU a
// is held right after a step label (a shared-memory read, often), the others run; otherwise CPU b runs right
// after a's step label, or a runs a few steps then b runs, from a place in the choice list (the front, more
// often: most windows open early). Anchored choices keep their moment however many steps lead there.
bool Preempt(pb::Scenario& s, MutationContext& ctx) {
  pb::Schedule& sched = *s.mutable_schedule();
  if (NumCpus(s.machine()) < 2 || sched.choices_size() + 2 > ctx.options.max_choices) return false;
  const uint32_t a = PickCpu(ctx.rng, s.machine());
  uint32_t b = PickCpu(ctx.rng, s.machine());
  for (int tries = 0; b == a && tries < 8; ++tries) b = PickCpu(ctx.rng, s.machine());
  if (a == b) return false;
  static constexpr uint32_t kRun[] = {1, 2, 3, 4, 6, 10};
  static constexpr uint32_t kPreempt[] = {10, 20, 30, 50, 100, 200};
  std::vector<pb::Choice> add(1);
  add[0].set_steps(kPreempt[ctx.rng.Below(std::size(kPreempt))]);
  const uint64_t shape = ctx.rng.Below(4);
  if (shape < 3) {
    pb::PreemptionPoint& after = *add[0].mutable_after();
    after.set_cpu(a);
    after.set_label(PickStepLabel(ctx.rng, ctx.options.labels, s.machine().family()));
    if (ctx.rng.Chance(1, 4)) after.set_occurrence(2 + static_cast<uint32_t>(ctx.rng.Below(3)));
  }
  if (shape < 2) {
    add[0].set_cpu(a);
    add[0].set_hold(true);
  } else {
    add[0].set_cpu(b);
  }
  if (shape == 3) {
    pb::Choice run;
    run.set_cpu(a);
    run.set_steps(kRun[ctx.rng.Below(std::size(kRun))]);
    add.insert(add.begin(), run);
  }
  const int at = ctx.rng.Chance(1, 2) ? 0 : PickIndex(ctx.rng, sched.choices_size() + 1);
  const int n = static_cast<int>(add.size());
  for (const pb::Choice& c : add) *sched.add_choices() = c;
  auto& list = *sched.mutable_choices();
  std::rotate(list.begin() + at, list.end() - n, list.end());
  return true;
}

// A label from pool when it has any, else from fallback's draw.
template <typename Fallback>
std::string PickFrom(const std::vector<std::string>& pool, Rng& rng, Fallback fallback) {
  return pool.empty() ? fallback() : pool[rng.Below(pool.size())];
}

// Two independent things meeting on one CPU: the races a campaign finds late are coincidences (a stray wake of an
// offline thread just as a crash starts, a reset while a lock is held). Take a CPU that one event names, fire
// another event when that CPU reaches a trigger point, and, half the time, hold that CPU right after one of its
// reads while the others run (the check of the window the coincidence opens). Labels come from what such a CPU
// executes: an offline thread's offline loop, an online CPU's ordinary code, when the pool has learned them.
bool StartsTheProtocol(pb::EventKind kind) {
  return kind == pb::PANIC || kind == pb::OOPS || kind == pb::KEXEC;
}

bool Coincide(pb::Scenario& s, MutationContext& ctx) {
  if (s.events_size() < 2) return false;
  // Mostly a hardware event aimed at some CPUs (a stray IPI, a device interrupt, an HMI): what wakes a sleeping CPU,
  // so the CPU it names has a moment after a wake to meet.
  std::vector<int> wakes;
  for (int i = 0; i < s.events_size(); ++i) {
    const EventInfo* info = FindEventInfo(s.events(i).kind());
    if (info != nullptr && !info->software && !s.events(i).all_cpus() && s.events(i).cpus_size() > 0) {
      wakes.push_back(i);
    }
  }
  const int a =
      !wakes.empty() && ctx.rng.Chance(3, 4) ? wakes[ctx.rng.Below(wakes.size())] : PickIndex(ctx.rng, s.events_size());
  const pb::Event& named = s.events(a);
  if (named.all_cpus() || named.cpus_size() == 0) return false;
  const uint32_t cpu = named.cpus(named.cpus_size() == 1 ? 0 : PickIndex(ctx.rng, named.cpus_size()));
  const pb::Family family = s.machine().family();
  const bool offline =
      std::find(s.machine().offline().begin(), s.machine().offline().end(), cpu) != s.machine().offline().end();
  const Location where = offline ? Location::kOfflineLoop : Location::kRunOld;
  const LabelPool* pool = ctx.options.labels;
  // Mostly the protocol's own start (a panic, an oops, a kexec) is what meets the CPU's moment.
  std::vector<int> starts;
  for (int i = 0; i < s.events_size(); ++i) {
    if (i != a && StartsTheProtocol(s.events(i).kind())) starts.push_back(i);
  }
  int b = PickIndex(ctx.rng, s.events_size() - 1);
  if (b >= a) ++b;
  if (!starts.empty() && ctx.rng.Chance(3, 4)) b = starts[ctx.rng.Below(starts.size())];
  pb::OnLabel& on = *s.mutable_events(b)->mutable_trigger()->mutable_on_label();
  on.set_cpu(cpu);
  // Mostly the moment the CPU is back from a sleep (an offline thread's first step after its stop wake).
  static const std::vector<std::string> kNone;
  const bool at_wake = pool != nullptr && !pool->WakeLabelsAt(family, where).empty() && ctx.rng.Chance(3, 4);
  const std::vector<std::string>& moments = pool == nullptr ? kNone
                                            : at_wake       ? pool->WakeLabelsAt(family, where)
                                                            : pool->LabelsAt(family, where);
  on.set_label(PickFrom(moments, ctx.rng, [&] { return PickLabel(ctx.rng, pool, family); }));
  on.clear_occurrence();
  pb::Schedule& sched = *s.mutable_schedule();
  if (ctx.rng.Chance(1, 2) && sched.choices_size() < ctx.options.max_choices) {
    // Spread over three decades: a window may need to stay open for the few steps of a store or for the whole
    // of another CPU's protocol (the initiator's tens to hundreds of steps up to its wake); a hold ends anyway
    // once no other CPU can run.
    static constexpr uint32_t kHold[] = {10, 30, 100, 300, 1000};
    pb::Choice& hold = *sched.add_choices();
    hold.set_cpu(cpu);
    hold.set_steps(kHold[ctx.rng.Below(std::size(kHold))]);
    hold.set_hold(true);
    hold.mutable_after()->set_cpu(cpu);
    // Mostly after a read another CPU's write races with (the check of a check-then-act window), else any read.
    const bool contended =
        pool != nullptr && !pool->ContendedReadLabelsAt(family, where).empty() && ctx.rng.Chance(3, 4);
    const std::vector<std::string>& reads = pool == nullptr ? kNone
                                            : contended     ? pool->ContendedReadLabelsAt(family, where)
                                                            : pool->ReadLabelsAt(family, where);
    hold.mutable_after()->set_label(PickFrom(reads, ctx.rng, [&] { return PickStepLabel(ctx.rng, pool, family); }));
    auto& list = *sched.mutable_choices();
    std::rotate(list.begin(), list.end() - 1, list.end());  // first: the window opens early in the run
  }
  return true;
}

// A store that stays in its CPU's store buffer while the others run (memory_model ARCHITECTURE, which this turns
// on): the reordering a missing barrier allows (a later load, or an IPI, overtaking the store). Anchored right
// after one of the CPU's steps, so the store buffered there is the one held.
bool HoldStores(pb::Scenario& s, MutationContext& ctx) {
  pb::Schedule& sched = *s.mutable_schedule();
  if (sched.choices_size() >= ctx.options.max_choices) return false;
  s.mutable_machine()->set_memory_model(pb::ARCHITECTURE);
  static constexpr uint32_t kHold[] = {3, 10, 30, 100, 300};
  const uint32_t cpu = PickCpu(ctx.rng, s.machine());
  pb::Choice& hold = *sched.add_choices();
  hold.set_cpu(cpu);
  hold.set_store_buffer(true);
  hold.set_hold(true);
  hold.set_steps(kHold[ctx.rng.Below(std::size(kHold))]);
  hold.mutable_after()->set_cpu(cpu);
  hold.mutable_after()->set_label(PickStepLabel(ctx.rng, ctx.options.labels, s.machine().family()));
  auto& list = *sched.mutable_choices();
  const int at = PickIndex(ctx.rng, sched.choices_size());
  std::rotate(list.begin() + at, list.end() - 1, list.end());
  return true;
}

// A store some model makes, where the weak-memory strategies place their choice: one a seed run executed, or
// without stores learned from seed runs, a variable the oracle reads (sim/shared_var.h) after any step.
StoreSite PickStoreSite(const pb::Scenario& s, MutationContext& ctx) {
  const pb::Family family = s.machine().family();
  if (ctx.options.labels != nullptr && !ctx.options.labels->Stores(family).empty()) {
    const std::vector<StoreSite>& stores = ctx.options.labels->Stores(family);
    return stores[ctx.rng.Below(stores.size())];
  }
  return StoreSite{PickStepLabel(ctx.rng, ctx.options.labels, family),
                   std::string(kSharedVarNames[1 + ctx.rng.Below(kSharedVarNames.size() - 1)]),
                   PickCpu(ctx.rng, s.machine())};
}

// powerpc and arm64: right after a CPU executes a plain store some model makes, its store buffer commits that store
// first (Choice.commit), ahead of the older stores still buffered: the store->store reordering those architectures
// allow where no write barrier or release intervenes (the simulator keeps the order where one does).
bool OvertakeStore(pb::Scenario& s, MutationContext& ctx) {
  const pb::Family family = s.machine().family();
  pb::Schedule& sched = *s.mutable_schedule();
  if (family == pb::X86 || sched.choices_size() >= ctx.options.max_choices) return false;
  const StoreSite site = PickStoreSite(s, ctx);
  s.mutable_machine()->set_memory_model(pb::ARCHITECTURE);
  const uint32_t cpu = site.cpu < NumCpus(s.machine()) ? site.cpu : PickCpu(ctx.rng, s.machine());
  pb::Choice& commit = *sched.add_choices();
  commit.set_cpu(cpu);
  commit.set_store_buffer(true);
  commit.set_commit(site.var);
  commit.mutable_after()->set_cpu(cpu);
  commit.mutable_after()->set_label(site.label);
  auto& list = *sched.mutable_choices();
  const int at = PickIndex(ctx.rng, sched.choices_size());
  std::rotate(list.begin() + at, list.end() - 1, list.end());
  return true;
}

// powerpc and arm64: right after a CPU executes a plain store some model makes, another CPU's invalidate queue is held
// (it keeps reading the variable's old value, and every other variable's it has not caught up with) or applies that
// variable's entry ahead of older ones (it sees this store while still reading older stores' old values): the
// load->load reordering and non-multi-copy atomicity those architectures allow where no read barrier, acquire or
// full barrier intervenes (the simulator drains the queue where one does).
bool StaleRead(pb::Scenario& s, MutationContext& ctx) {
  const pb::Family family = s.machine().family();
  pb::Schedule& sched = *s.mutable_schedule();
  if (family == pb::X86 || sched.choices_size() >= ctx.options.max_choices) return false;
  const StoreSite site = PickStoreSite(s, ctx);
  s.mutable_machine()->set_memory_model(pb::ARCHITECTURE);
  const uint32_t n = NumCpus(s.machine());
  const uint32_t writer = site.cpu < n ? site.cpu : PickCpu(ctx.rng, s.machine());
  uint32_t reader = PickCpu(ctx.rng, s.machine());
  if (reader == writer && n > 1) reader = (writer + 1 + static_cast<uint32_t>(ctx.rng.Below(n - 1))) % n;
  pb::Choice& queue = *sched.add_choices();
  queue.set_cpu(reader);
  queue.set_invalidate_queue(true);
  if (ctx.rng.Chance(1, 2)) {
    static constexpr uint32_t kHold[] = {3, 10, 30, 100, 300};
    queue.set_hold(true);
    queue.set_steps(kHold[ctx.rng.Below(std::size(kHold))]);
  } else {
    queue.set_invalidate(site.var);
  }
  queue.mutable_after()->set_cpu(writer);
  queue.mutable_after()->set_label(site.label);
  auto& list = *sched.mutable_choices();
  const int at = PickIndex(ctx.rng, sched.choices_size());
  std::rotate(list.begin() + at, list.end() - 1, list.end());
  return true;
}

bool DeleteChoice(pb::Scenario& s, MutationContext& ctx) {
  if (!s.has_schedule() || s.schedule().choices_size() == 0) return false;
  pb::Schedule& sched = *s.mutable_schedule();
  const int at = PickIndex(ctx.rng, sched.choices_size());
  const int len = 1 + PickIndex(ctx.rng, std::min(4, sched.choices_size() - at));
  sched.mutable_choices()->DeleteSubrange(at, len);
  return true;
}

bool ChangePolicy(pb::Scenario& s, MutationContext& ctx) {
  pb::Schedule& sched = *s.mutable_schedule();
  static constexpr pb::Policy kPolicies[] = {pb::ROUND_ROBIN, pb::RANDOM, pb::PCT};
  sched.set_policy(kPolicies[ctx.rng.Below(3)]);
  if (sched.policy() != pb::ROUND_ROBIN) sched.set_seed(ctx.rng.Chance(1, 2) ? ctx.rng.Below(64) : ctx.rng.Next());
  if (sched.policy() == pb::PCT) {
    sched.set_pct_depth(1 + static_cast<uint32_t>(ctx.rng.Below(6)));
    // PCT finds a bug of depth d with probability 1/(n k^(d-1)) where k is the run's length; change points drawn
    // beyond the end of a run are wasted, and crash runs last tens to hundreds of steps, not the default 1,000.
    static constexpr uint64_t kHorizons[] = {30, 100, 300, 1000};
    sched.set_pct_horizon(kHorizons[ctx.rng.Below(std::size(kHorizons))]);
  }
  return true;
}

// Adds or removes a CPU from a per-CPU list of the machine (offline, never started, firmware failures).
bool ToggleIn(google::protobuf::RepeatedField<uint32_t>* list, uint32_t cpu) {
  for (int i = 0; i < list->size(); ++i) {
    if (list->Get(i) == cpu) {
      list->erase(list->begin() + i);
      return true;
    }
  }
  list->Add(cpu);
  return true;
}

uint32_t NonBootCpu(const pb::Scenario& s, Rng& rng) {
  const uint32_t n = NumCpus(s.machine());
  if (n < 2) return s.machine().boot_cpu();
  uint32_t c = static_cast<uint32_t>(rng.Below(n - 1));
  if (c >= s.machine().boot_cpu()) ++c;
  return c;
}

bool ToggleOffline(pb::Scenario& s, MutationContext& ctx) {
  if (NumCpus(s.machine()) < 2) return false;
  const uint32_t c = NonBootCpu(s, ctx.rng);
  pb::Machine& m = *s.mutable_machine();
  for (int i = 0; i < m.never_started_size(); ++i) {
    if (m.never_started(i) == c) m.mutable_never_started()->erase(m.mutable_never_started()->begin() + i);
  }
  return ToggleIn(m.mutable_offline(), c);
}

bool ToggleNeverStarted(pb::Scenario& s, MutationContext& ctx) {
  if (NumCpus(s.machine()) < 2) return false;
  const uint32_t c = NonBootCpu(s, ctx.rng);
  pb::Machine& m = *s.mutable_machine();
  for (int i = 0; i < m.offline_size(); ++i) {
    if (m.offline(i) == c) m.mutable_offline()->erase(m.mutable_offline()->begin() + i);
  }
  return ToggleIn(m.mutable_never_started(), c);
}

// One step at a time (halve, or one core / one SMT level more) or a small shape: a large machine survives only as
// a chain of kept inputs, and a kept large one keeps being offered smaller versions of itself.
bool ChangeTopology(pb::Scenario& s, MutationContext& ctx) {
  pb::Machine& m = *s.mutable_machine();
  const uint32_t cores = m.cores();
  const uint32_t threads = m.threads_per_core();
  switch (ctx.rng.Below(3)) {
    case 0:  // shrink
      if (NumCpus(m) < 2) return false;
      if (threads > 1 && (cores == 1 || ctx.rng.Chance(1, 2))) {
        m.set_threads_per_core(threads / 2);
      } else {
        m.set_cores(cores / 2);
      }
      break;
    case 1:  // grow
      if (threads < 8 && ctx.rng.Chance(1, 2)) {
        m.set_threads_per_core(threads * 2);
      } else {
        m.set_cores(cores + 1);
      }
      break;
    default: {
      static constexpr uint32_t kShapes[][2] = {{1, 1}, {1, 2}, {2, 1}, {2, 2}, {1, 4}, {2, 4}, {4, 2}, {1, 8}, {4, 1}};
      const auto& shape = kShapes[ctx.rng.Below(std::size(kShapes))];
      m.set_cores(shape[0]);
      m.set_threads_per_core(shape[1]);
      break;
    }
  }
  return m.cores() != cores || m.threads_per_core() != threads;  // Fix clamps and drops CPU ids that no longer exist
}

bool ChangeFirmware(pb::Scenario& s, MutationContext& ctx) {
  pb::Firmware& fw = *s.mutable_machine()->mutable_firmware();
  const bool ppc = s.machine().family() == pb::PPC;
  switch (ctx.rng.Below(ppc ? 8 : 6)) {
    case 0: fw.set_system_reset_supported(!fw.system_reset_supported()); break;
    case 1: ToggleIn(fw.mutable_system_reset_fails_for(), PickCpu(ctx.rng, s.machine())); break;
    case 2: fw.set_idle_state_usable(!fw.idle_state_usable()); break;  // Fix drops the bits beside idle_states
    case 3: fw.set_stop_loses_state(!fw.stop_loses_state()); break;
    case 6: PickIdleStates(ctx.rng, s.machine().platform(), fw); break;
    case 7:  // back to the one-bit description, or the stop-api failing at boot
      if (fw.idle_states_size() == 0 || ctx.rng.Chance(1, 2)) {
        fw.clear_idle_states();
        fw.clear_stop_api_fails();
      } else {
        fw.set_stop_api_fails(!fw.stop_api_fails());
      }
      break;
    case 4: ToggleIn(fw.mutable_cpu_off_fails_for(), PickCpu(ctx.rng, s.machine())); break;
    default:
      if (s.machine().family() == pb::X86)
        fw.set_init_sipi_wakeup(!fw.init_sipi_wakeup());
      else
        fw.set_pseudo_nmi(!fw.pseudo_nmi());
      break;
  }
  return true;
}

bool ChangeMachineFlags(pb::Scenario& s, MutationContext& ctx) {
  pb::Machine& m = *s.mutable_machine();
  switch (ctx.rng.Below(7)) {
    case 5: m.set_offline_dec_ns(PickOfflineDecNs(ctx.rng)); break;  // powerpc; other families ignore it
    case 6: m.set_tick_ns(PickTickNs(ctx.rng)); break;               // powerpc; Fix clears it elsewhere
    case 0: {
      static constexpr int32_t kTimeouts[] = {-1, 0, 1, 10, 180};
      m.set_panic_timeout(kTimeouts[ctx.rng.Below(5)]);
      break;
    }
    case 1: m.set_crash_kexec_post_notifiers(!m.crash_kexec_post_notifiers()); break;
    case 2: m.set_crash_image_loaded(!m.crash_image_loaded()); break;
    case 3:
      m.set_memory_model(m.memory_model() == pb::ARCHITECTURE ? pb::SEQUENTIAL : pb::ARCHITECTURE);
      break;  // Fix drops store-buffer choices a sequential machine cannot have
    case 4: m.set_kexec_image_loaded(!m.kexec_image_loaded()); break;
  }
  return true;
}

bool ChangePlatform(pb::Scenario& s, MutationContext& ctx) {
  const auto& platforms = PlatformsOf(s.machine().family());
  if (platforms.size() < 2) return false;
  s.mutable_machine()->set_platform(platforms[ctx.rng.Below(platforms.size())]);
  return true;
}

// Rare: the whole scenario moves to another family; Fix maps its events onto the new family's alphabet.
bool ChangeFamily(pb::Scenario& s, MutationContext& ctx) {
  if (ctx.options.only_family != pb::FAMILY_UNSPECIFIED) return false;
  static constexpr pb::Family kFamilies[] = {pb::PPC, pb::X86, pb::ARM64};
  const pb::Family f = kFamilies[ctx.rng.Below(3)];
  if (f == s.machine().family()) return false;
  s.mutable_machine()->set_family(f);
  s.mutable_machine()->set_platform(PlatformsOf(f)[ctx.rng.Below(PlatformsOf(f).size())]);
  return true;
}

}  // namespace

const std::vector<Strategy>& Strategies() {
  static const std::vector<Strategy> kStrategies = {
      {"MutateField", 20, MutateField},
      {"ClearField", 4, ClearField},
      {"InsertEvent", 10, InsertEvent},
      {"DeleteEvent", 5, DeleteEvent},
      {"DuplicateEvent", 4, DuplicateEvent},
      {"ReorderEvents", 3, ReorderEvents},
      {"RetargetEvent", 7, RetargetEvent},
      {"RetimeEvent", 10, RetimeEvent},
      {"SwitchTrigger", 2, SwitchTrigger},
      {"LabelTrigger", 6, LabelTrigger},
      {"ShiftTimes", 2, ShiftTimes},
      {"InsertChoice", 3, InsertChoice},
      {"Preempt", 3, Preempt},
      {"Coincide", 6, Coincide},
      {"HoldStores", 3, HoldStores},
      {"OvertakeStore", 2, OvertakeStore},
      {"StaleRead", 2, StaleRead},
      {"DeleteChoice", 2, DeleteChoice},
      {"ChangePolicy", 4, ChangePolicy},
      {"ToggleOffline", 5, ToggleOffline},
      {"ToggleNeverStarted", 2, ToggleNeverStarted},
      {"ChangeTopology", 2, ChangeTopology},
      {"ChangeFirmware", 4, ChangeFirmware},
      {"ChangeMachineFlags", 3, ChangeMachineFlags},
      {"ChangePlatform", 2, ChangePlatform},
      {"ChangeFamily", 1, ChangeFamily},
  };
  return kStrategies;
}

}  // namespace crashdiff::fuzz
