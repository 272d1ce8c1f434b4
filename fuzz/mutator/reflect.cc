#include "fuzz/mutator/reflect.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>

#include <array>

#include "fuzz/mutator/fix.h"
#include "fuzz/mutator/value_pools.h"
#include "sim/events.h"
#include "sim/validate.h"

namespace crashdiff::fuzz {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// One place a value can go: an element of a repeated field (index >= 0), a new element (index == -2), or a
// singular field (index == -1).
struct Slot {
  Message* message;
  const FieldDescriptor* field;
  int index;
  FieldPolicy policy;
};

constexpr int kAppend = -2;

void Collect(Message& m, int depth, int max_depth, std::vector<Slot>& out) {
  if (depth > max_depth) return;
  const Reflection* r = m.GetReflection();
  const auto* d = m.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(m, f); ++k)
          Collect(*r->MutableRepeatedMessage(&m, f, k), depth + 1, max_depth, out);
      } else if (r->HasField(m, f)) {
        // Unset messages are not entered: creating one is a side effect the chosen strategy would not name
        // (ChangeFirmware creates the firmware); unset oneof members are SwitchTrigger's job (sticky oneofs).
        Collect(*r->MutableMessage(&m, f), depth + 1, max_depth, out);
      }
      continue;
    }
    const FieldPolicy p = PolicyFor(f);
    if (p.weight == 0) continue;
    if (f->containing_oneof() != nullptr && !r->HasField(m, f)) continue;  // sticky: stay in the current case
    if (f->is_repeated()) {
      for (int k = 0; k < r->FieldSize(m, f); ++k) out.push_back({&m, f, k, p});
      out.push_back({&m, f, kAppend, p});
    } else {
      out.push_back({&m, f, -1, p});
    }
  }
}

uint64_t ReadUnsigned(const Message& m, const Slot& s) {
  const Reflection* r = m.GetReflection();
  const FieldDescriptor* f = s.field;
  const bool rep = s.index >= 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_UINT32: return rep ? r->GetRepeatedUInt32(m, f, s.index) : r->GetUInt32(m, f);
    case FieldDescriptor::CPPTYPE_UINT64: return rep ? r->GetRepeatedUInt64(m, f, s.index) : r->GetUInt64(m, f);
    case FieldDescriptor::CPPTYPE_INT32:
      return static_cast<uint64_t>(rep ? r->GetRepeatedInt32(m, f, s.index) : r->GetInt32(m, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return static_cast<uint64_t>(rep ? r->GetRepeatedInt64(m, f, s.index) : r->GetInt64(m, f));
    default: return 0;
  }
}

void WriteInteger(Message& m, const Slot& s, uint64_t v) {
  const Reflection* r = m.GetReflection();
  const FieldDescriptor* f = s.field;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_UINT32:
      if (s.index == kAppend)
        r->AddUInt32(&m, f, static_cast<uint32_t>(v));
      else if (s.index >= 0)
        r->SetRepeatedUInt32(&m, f, s.index, static_cast<uint32_t>(v));
      else
        r->SetUInt32(&m, f, static_cast<uint32_t>(v));
      return;
    case FieldDescriptor::CPPTYPE_UINT64:
      if (s.index == kAppend)
        r->AddUInt64(&m, f, v);
      else if (s.index >= 0)
        r->SetRepeatedUInt64(&m, f, s.index, v);
      else
        r->SetUInt64(&m, f, v);
      return;
    case FieldDescriptor::CPPTYPE_INT32:
      if (s.index == kAppend)
        r->AddInt32(&m, f, static_cast<int32_t>(v));
      else if (s.index >= 0)
        r->SetRepeatedInt32(&m, f, s.index, static_cast<int32_t>(v));
      else
        r->SetInt32(&m, f, static_cast<int32_t>(v));
      return;
    case FieldDescriptor::CPPTYPE_INT64:
      if (s.index == kAppend)
        r->AddInt64(&m, f, static_cast<int64_t>(v));
      else if (s.index >= 0)
        r->SetRepeatedInt64(&m, f, s.index, static_cast<int64_t>(v));
      else
        r->SetInt64(&m, f, static_cast<int64_t>(v));
      return;
    default: return;
  }
}

// A new value for an integer slot, from the pool of its kind.
uint64_t IntegerValue(const Slot& s, uint64_t old, const pb::Scenario& sc, Rng& rng) {
  using K = ValueKind;
  const bool tweak = rng.Chance(1, 4);
  switch (s.policy.kind) {
    case K::kCpuId: return PickCpu(rng, sc.machine());
    case K::kTimeNs: return tweak ? Tweak(rng, old, 0, kMaxTimeNs) : PickTime(rng);
    case K::kStepIndex:
      return tweak ? Tweak(rng, old, 0, sc.schedule().step_budget()) : PickStep(rng, sc.schedule().step_budget());
    case K::kOccurrence: return tweak ? Tweak(rng, old, 1, kMaxOccurrence) : 1 + rng.Below(4);
    case K::kCores: return PickCores(rng, static_cast<uint32_t>(old));
    case K::kThreads: return PickThreadsPerCore(rng);
    case K::kPanicTimeout: {
      static constexpr int32_t kPool[] = {-1, 0, 1, 10, 180, 3600};
      return static_cast<uint64_t>(static_cast<int64_t>(kPool[rng.Below(6)]));
    }
    case K::kDecNs: return tweak ? Tweak(rng, old, 0, kMaxOfflineDecNs) : PickOfflineDecNs(rng);
    case K::kTickNs: return tweak ? Tweak(rng, old, 0, kMaxOfflineDecNs) : PickTickNs(rng);  // Fix: 0 or >= 1 ms
    case K::kVector: return 16 + rng.Below(1008);
    case K::kChoiceSteps: {
      static constexpr uint32_t kPool[] = {1, 2, 3, 5, 10, 50, 100, 1000};
      return tweak ? Tweak(rng, old, 1, kMaxChoiceSteps) : kPool[rng.Below(8)];
    }
    case K::kPctDepth: return 1 + rng.Below(kMaxPctDepth);
    case K::kPctHorizon: {
      static constexpr uint64_t kPool[] = {1, 10, 100, 1000, 10000, 100000};
      return kPool[rng.Below(6)];
    }
    case K::kSeed: return rng.Chance(1, 2) ? rng.Below(16) : rng.Next();
    default: return Tweak(rng, old, 0, 1000);
  }
}

void MutateEnum(Message& m, const Slot& s, const pb::Scenario& sc, Rng& rng) {
  const Reflection* r = m.GetReflection();
  const FieldDescriptor* f = s.field;
  int value = 0;
  if (f->full_name() == "crashdiff.pb.Event.kind") {
    const auto& kinds = EventKindsOf(sc.machine().family());
    value = kinds[rng.Below(kinds.size())];
  } else if (f->full_name() == "crashdiff.pb.Machine.platform") {
    const auto& platforms = PlatformsOf(sc.machine().family());
    value = platforms[rng.Below(platforms.size())];
  } else {
    const auto* e = f->enum_type();
    value = e->value(static_cast<int>(rng.Below(e->value_count())))->number();
  }
  if (s.index == kAppend)
    r->AddEnumValue(&m, f, value);
  else if (s.index >= 0)
    r->SetRepeatedEnumValue(&m, f, s.index, value);
  else
    r->SetEnumValue(&m, f, value);
}

}  // namespace

const std::vector<pb::EventKind>& EventKindsOf(pb::Family family) {
  static const std::array<std::vector<pb::EventKind>, 4> kKinds = [] {
    std::array<std::vector<pb::EventKind>, 4> out;
    const auto* e = pb::EventKind_descriptor();
    for (int f = 1; f < 4; ++f) {
      for (int i = 0; i < e->value_count(); ++i) {
        const auto kind = static_cast<pb::EventKind>(e->value(i)->number());
        const EventInfo* info = FindEventInfo(kind);
        if (info != nullptr && (info->families & (1u << f))) out[f].push_back(kind);
      }
    }
    out[0] = out[pb::PPC];
    return out;
  }();
  const int slot = static_cast<int>(family) < 4 ? static_cast<int>(family) : 0;
  return kKinds[slot];
}

bool MutateRandomField(pb::Scenario& scenario, MutationContext& ctx) {
  std::vector<Slot> slots;
  Collect(scenario, 0, ctx.options.max_depth, slots);
  uint64_t total = 0;
  for (const Slot& s : slots) total += s.policy.weight;
  if (total == 0) return false;
  uint64_t pick = ctx.rng.Below(total);
  const Slot* chosen = &slots.front();
  for (const Slot& s : slots) {
    if (pick < s.policy.weight) {
      chosen = &s;
      break;
    }
    pick -= s.policy.weight;
  }
  const Slot& s = *chosen;
  Message& m = *s.message;
  const Reflection* r = m.GetReflection();
  switch (s.field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_BOOL:
      if (s.index == kAppend)
        r->AddBool(&m, s.field, ctx.rng.Chance(1, 2));
      else if (s.index >= 0)
        r->SetRepeatedBool(&m, s.field, s.index, !r->GetRepeatedBool(m, s.field, s.index));
      else
        r->SetBool(&m, s.field, !r->GetBool(m, s.field));
      return true;
    case FieldDescriptor::CPPTYPE_ENUM: MutateEnum(m, s, scenario, ctx.rng); return true;
    case FieldDescriptor::CPPTYPE_STRING:
      if (s.policy.kind != ValueKind::kLabel && s.policy.kind != ValueKind::kStepLabel) return false;
      if (s.index >= 0 || s.index == kAppend) return false;
      r->SetString(&m, s.field,
                   s.policy.kind == ValueKind::kLabel
                       ? PickLabel(ctx.rng, ctx.options.labels, scenario.machine().family())
                       : PickStepLabel(ctx.rng, ctx.options.labels, scenario.machine().family()));
      return true;
    default: {
      const uint64_t old = s.index >= 0 || s.index == -1 ? ReadUnsigned(m, s) : 0;
      WriteInteger(m, s, IntegerValue(s, old, scenario, ctx.rng));
      return true;
    }
  }
}

namespace {

// A set thing ClearRandomField can take back: a singular field (index -1, scalar or message) or one element of a
// repeated scalar or message field.
struct SetSlot {
  Message* message;
  const FieldDescriptor* field;
  int index;
};

bool HasSetOneof(const Message& m) {
  const auto* d = m.GetDescriptor();
  for (int i = 0; i < d->oneof_decl_count(); ++i) {
    if (m.GetReflection()->HasOneof(m, d->oneof_decl(i))) return true;
  }
  return false;
}

void CollectSet(Message& m, int depth, int max_depth, std::vector<SetSlot>& out) {
  if (depth > max_depth) return;
  const Reflection* r = m.GetReflection();
  const auto* d = m.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->containing_oneof() != nullptr) continue;  // sticky oneofs: SwitchTrigger changes the case
    // The machine and its family stay (their parts may go): without them nothing of the scenario means anything.
    const bool keep =
        f->full_name() == "crashdiff.pb.Scenario.machine" || f->full_name() == "crashdiff.pb.Machine.family";
    const bool message = f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    if (!message && PolicyFor(f).weight == 0) continue;
    if (f->is_repeated()) {
      for (int k = 0; k < r->FieldSize(m, f); ++k) {
        out.push_back({&m, f, k});
        if (message) CollectSet(*r->MutableRepeatedMessage(&m, f, k), depth + 1, max_depth, out);
      }
    } else if (r->HasField(m, f)) {
      if (!message) {
        if (!keep) out.push_back({&m, f, -1});
        continue;
      }
      Message& sub = *r->MutableMessage(&m, f);
      if (!keep && !HasSetOneof(sub)) out.push_back({&m, f, -1});  // clearing it would drop a sticky oneof's case
      CollectSet(sub, depth + 1, max_depth, out);
    }
  }
}

}  // namespace

bool ClearRandomField(pb::Scenario& scenario, MutationContext& ctx) {
  std::vector<SetSlot> slots;
  CollectSet(scenario, 0, ctx.options.max_depth, slots);
  if (slots.empty()) return false;
  const SetSlot& s = slots[ctx.rng.Below(slots.size())];
  const Reflection* r = s.message->GetReflection();
  if (s.index < 0) {
    r->ClearField(s.message, s.field);
    return true;
  }
  // Remove element index, keeping the order of the others (events and choices are ordered).
  for (int k = s.index; k + 1 < r->FieldSize(*s.message, s.field); ++k) r->SwapElements(s.message, s.field, k, k + 1);
  r->RemoveLast(s.message, s.field);
  return true;
}

}  // namespace crashdiff::fuzz
