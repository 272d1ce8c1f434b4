#include "minimize/minimize.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>

#include <algorithm>
#include <compare>
#include <cstdlib>
#include <functional>
#include <vector>

#include "sim/validate.h"

namespace crashdiff {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

class Minimizer {
 public:
  Minimizer(const KeepsProperty& keeps, const MinimizeOptions& options, MinimizeStats& stats)
      : keeps_(keeps), options_(options), stats_(stats) {}

  pb::Scenario Run(pb::Scenario best) {
    best_ = std::move(best);
    bool changed = true;
    while (changed && !Done()) {
      changed = false;
      changed |= ReduceList("events", &pb::Scenario::events_size, [](pb::Scenario& s) { return s.mutable_events(); });
      changed |= ReduceList(
          "schedule.choices", [](const pb::Scenario& s) { return s.schedule().choices_size(); },
          [](pb::Scenario& s) { return s.mutable_schedule()->mutable_choices(); });
      changed |= DropCores();
      changed |= DefaultSchedule();
      changed |= SimplifyFields(best_);
    }
    return best_;
  }

 private:
  bool Done() {
    if (options_.stop != nullptr && options_.stop->load()) {
      stats_.interrupted = true;
      return true;
    }
    if (stats_.runs >= options_.max_runs) {
      stats_.budget_exhausted = true;
      return true;
    }
    return false;
  }

  // Every accepted candidate must be strictly smaller in this order, so the passes cannot undo each other
  // (e.g. dropping a core, then "clearing" cores back to its larger default) and minimization terminates.
  struct Measure {
    int events;
    int choices;
    uint32_t cpus;
    size_t bytes;
    uint64_t numbers;  // sum of every integer field: lowering a value shrinks it
    auto operator<=>(const Measure&) const = default;
  };
  static uint64_t SumNumbers(const Message& m) {
    const Reflection* r = m.GetReflection();
    std::vector<const FieldDescriptor*> fields;
    r->ListFields(m, &fields);
    uint64_t sum = 0;
    for (const FieldDescriptor* f : fields) {
      const int n = f->is_repeated() ? r->FieldSize(m, f) : 1;
      for (int i = 0; i < n; ++i) {
        const int idx = f->is_repeated() ? i : -1;
        switch (f->cpp_type()) {
          case FieldDescriptor::CPPTYPE_MESSAGE:
            sum += SumNumbers(idx < 0 ? r->GetMessage(m, f) : r->GetRepeatedMessage(m, f, idx));
            break;
          case FieldDescriptor::CPPTYPE_INT32:
          case FieldDescriptor::CPPTYPE_INT64:
          case FieldDescriptor::CPPTYPE_UINT32:
          case FieldDescriptor::CPPTYPE_UINT64: {
            Path p{{f, idx}};
            sum += static_cast<uint64_t>(std::abs(GetIn(const_cast<Message&>(m), p)));
            break;
          }
          default: break;
        }
      }
    }
    return sum;
  }
  static Measure Of(const pb::Scenario& s) {
    return Measure{s.events_size(), s.schedule().choices_size(), s.machine().cores() * s.machine().threads_per_core(),
                   s.ByteSizeLong(), SumNumbers(s)};
  }

  // Tries a candidate; adopts it as the best if valid, smaller, and the property holds.
  bool Try(pb::Scenario candidate, const std::string& what) {
    if (Done() || !IsValid(candidate) || !(Of(candidate) < Of(best_))) return false;
    ++stats_.runs;
    if (!keeps_(candidate)) return false;
    best_ = std::move(candidate);
    ++stats_.accepted;
    if (options_.progress) options_.progress(what);
    if (options_.on_improved) options_.on_improved(best_);
    return true;
  }

  // ddmin over one repeated message field: try removing chunks (complements), refining granularity.
  // size reads the list without creating it (a mutable accessor would add an empty parent message to best_).
  template <typename Size, typename Access>
  bool ReduceList(const std::string& name, Size size_of, Access access) {
    bool changed = false;
    size_t n = 2;
    while (!Done()) {
      const auto size = static_cast<size_t>(std::invoke(size_of, best_));
      if (size == 0) break;
      n = std::min(n, size);
      const size_t chunk = (size + n - 1) / n;
      bool reduced = false;
      for (size_t start = 0; start < size && !reduced; start += chunk) {
        pb::Scenario c = best_;
        auto* list = access(c);
        const size_t end = std::min(size, start + chunk);
        list->erase(list->begin() + static_cast<long>(start), list->begin() + static_cast<long>(end));
        if (Try(std::move(c), "removed " + name + " [" + std::to_string(start) + ", " + std::to_string(end) + ")")) {
          reduced = true;
          changed = true;
          n = std::max<size_t>(n - 1, 2);
        }
      }
      if (reduced) continue;
      if (n >= size) break;  // every single element was tried: 1-minimal
      n = std::min(size, n * 2);
    }
    return changed;
  }

  // Fewer CPUs: drop the highest core when nothing refers to its CPUs (validation rejects references otherwise).
  bool DropCores() {
    bool changed = false;
    while (best_.machine().cores() > 1) {
      pb::Scenario c = best_;
      c.mutable_machine()->set_cores(best_.machine().cores() - 1);
      if (!Try(std::move(c), "dropped a core")) break;
      changed = true;
    }
    for (uint32_t t : {1u, 2u, 4u}) {
      if (t >= best_.machine().threads_per_core()) break;
      pb::Scenario c = best_;
      c.mutable_machine()->set_threads_per_core(t);
      if (Try(std::move(c), "threads_per_core " + std::to_string(t))) return true;
    }
    return changed;
  }

  bool DefaultSchedule() {
    if (!best_.has_schedule()) return false;
    if (!best_.schedule().has_policy() && !best_.schedule().has_seed() && !best_.schedule().has_pct_depth() &&
        !best_.schedule().has_pct_horizon()) {
      return false;
    }
    pb::Scenario c = best_;
    c.mutable_schedule()->clear_policy();
    c.mutable_schedule()->clear_seed();
    c.mutable_schedule()->clear_pct_depth();
    c.mutable_schedule()->clear_pct_horizon();
    return Try(std::move(c), "default schedule policy");
  }

  // Walks every set field of the best scenario (by path, so candidates are built on fresh copies): clears it,
  // removes single elements of repeated scalars, and lowers integers (0, then halving; for times this is "earlier").
  bool SimplifyFields(const pb::Scenario& snapshot) {
    std::vector<Path> paths;
    Collect(snapshot, {}, paths);
    bool changed = false;
    for (const Path& p : paths) {
      if (Done()) break;
      changed |= SimplifyAt(p);
    }
    return changed;
  }

  struct Step {
    const FieldDescriptor* field;
    int index;
  };
  using Path = std::vector<Step>;

  static void Collect(const Message& m, const Path& prefix, std::vector<Path>& out) {
    const Reflection* r = m.GetReflection();
    std::vector<const FieldDescriptor*> fields;
    r->ListFields(m, &fields);
    for (const FieldDescriptor* f : fields) {
      if (f->name() == "events" || f->name() == "choices" || f->name() == "name") continue;  // ddmin / comments
      if (f->is_repeated()) {
        for (int i = r->FieldSize(m, f) - 1; i >= 0; --i) {
          Path p = prefix;
          p.push_back({f, i});
          if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
            Collect(r->GetRepeatedMessage(m, f, i), p, out);
          } else {
            out.push_back(p);
          }
        }
        continue;
      }
      Path p = prefix;
      p.push_back({f, -1});
      out.push_back(p);
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) Collect(r->GetMessage(m, f), p, out);
    }
    // Event fields matter too (triggers, cpus): walk each event's own fields, but not the list itself.
    if (prefix.empty()) {
      const auto* s = dynamic_cast<const pb::Scenario*>(&m);
      if (s == nullptr) return;
      const FieldDescriptor* events = s->GetDescriptor()->FindFieldByName("events");
      for (int i = s->events_size() - 1; i >= 0; --i) Collect(s->events(i), {{events, i}}, out);
      const FieldDescriptor* sched = s->GetDescriptor()->FindFieldByName("schedule");
      const FieldDescriptor* choices = pb::Schedule::descriptor()->FindFieldByName("choices");
      for (int i = s->schedule().choices_size() - 1; i >= 0; --i) {
        Collect(s->schedule().choices(i), {{sched, -1}, {choices, i}}, out);
      }
    }
  }

  // Resolves all but the last step of path in m; nullptr if the path no longer exists.
  static Message* Parent(Message& m, const Path& path) {
    Message* cur = &m;
    for (size_t i = 0; i + 1 < path.size(); ++i) {
      const Reflection* r = cur->GetReflection();
      const Step& s = path[i];
      if (s.index >= 0) {
        if (s.index >= r->FieldSize(*cur, s.field)) return nullptr;
        cur = r->MutableRepeatedMessage(cur, s.field, s.index);
      } else {
        if (!r->HasField(*cur, s.field)) return nullptr;
        cur = r->MutableMessage(cur, s.field);
      }
    }
    return cur;
  }

  static std::string Describe(const Path& path) {
    std::string out;
    for (const Step& s : path) {
      if (!out.empty()) out += '.';
      out += s.field->name();
      if (s.index >= 0) out += "[" + std::to_string(s.index) + "]";
    }
    return out;
  }

  bool SimplifyAt(const Path& path) {
    const Step& last = path.back();
    const FieldDescriptor* f = last.field;
    {
      pb::Scenario c = best_;
      Message* parent = Parent(c, path);
      if (parent == nullptr) return false;
      const Reflection* r = parent->GetReflection();
      if (last.index >= 0) {
        if (last.index >= r->FieldSize(*parent, f)) return false;
        // Remove one element of a repeated scalar: move it to the end and drop it.
        for (int i = last.index; i + 1 < r->FieldSize(*parent, f); ++i) r->SwapElements(parent, f, i, i + 1);
        r->RemoveLast(parent, f);
      } else {
        if (!r->HasField(*parent, f)) return false;
        r->ClearField(parent, f);
      }
      if (Try(std::move(c), "cleared " + Describe(path))) return true;
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE || f->cpp_type() == FieldDescriptor::CPPTYPE_BOOL ||
        f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM || f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      return false;
    }
    return Lower(path);
  }

  // Lowers an integer field: tries 0, then bisects between the largest value known to fail and the smallest
  // known to keep the property (log2(value) runs; for times this finds the earliest trigger that still works).
  bool Lower(const Path& path) {
    int64_t hi = Get(best_, path);
    if (hi <= 0) return false;
    const auto try_value = [&](int64_t v) {
      pb::Scenario c = best_;
      return Set(c, path, v) && Try(std::move(c), "lowered " + Describe(path) + " to " + std::to_string(v));
    };
    if (try_value(0)) return true;
    int64_t lo = 0;
    bool changed = false;
    while (hi - lo > 1 && !Done()) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (try_value(mid)) {
        hi = mid;
        changed = true;
      } else {
        lo = mid;
      }
    }
    return changed;
  }

  static int64_t Get(pb::Scenario& s, const Path& path) { return GetIn(s, path); }
  static int64_t GetIn(Message& s, const Path& path) {
    Message* parent = Parent(s, path);
    if (parent == nullptr) return 0;
    const Reflection* r = parent->GetReflection();
    const Step& last = path.back();
    const bool rep = last.index >= 0;
    if (rep && last.index >= r->FieldSize(*parent, last.field)) return 0;
    switch (last.field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        return rep ? r->GetRepeatedInt32(*parent, last.field, last.index) : r->GetInt32(*parent, last.field);
      case FieldDescriptor::CPPTYPE_INT64:
        return rep ? r->GetRepeatedInt64(*parent, last.field, last.index) : r->GetInt64(*parent, last.field);
      case FieldDescriptor::CPPTYPE_UINT32:
        return rep ? r->GetRepeatedUInt32(*parent, last.field, last.index) : r->GetUInt32(*parent, last.field);
      case FieldDescriptor::CPPTYPE_UINT64:
        return static_cast<int64_t>(rep ? r->GetRepeatedUInt64(*parent, last.field, last.index)
                                        : r->GetUInt64(*parent, last.field));
      default: return 0;
    }
  }

  static bool Set(pb::Scenario& s, const Path& path, int64_t v) {
    Message* parent = Parent(s, path);
    if (parent == nullptr) return false;
    const Reflection* r = parent->GetReflection();
    const Step& last = path.back();
    const bool rep = last.index >= 0;
    switch (last.field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        rep ? r->SetRepeatedInt32(parent, last.field, last.index, static_cast<int32_t>(v))
            : r->SetInt32(parent, last.field, static_cast<int32_t>(v));
        return true;
      case FieldDescriptor::CPPTYPE_INT64:
        rep ? r->SetRepeatedInt64(parent, last.field, last.index, v) : r->SetInt64(parent, last.field, v);
        return true;
      case FieldDescriptor::CPPTYPE_UINT32:
        rep ? r->SetRepeatedUInt32(parent, last.field, last.index, static_cast<uint32_t>(v))
            : r->SetUInt32(parent, last.field, static_cast<uint32_t>(v));
        return true;
      case FieldDescriptor::CPPTYPE_UINT64:
        rep ? r->SetRepeatedUInt64(parent, last.field, last.index, static_cast<uint64_t>(v))
            : r->SetUInt64(parent, last.field, static_cast<uint64_t>(v));
        return true;
      default: return false;
    }
  }

  const KeepsProperty& keeps_;
  const MinimizeOptions& options_;
  MinimizeStats& stats_;
  pb::Scenario best_;
};

}  // namespace

pb::Scenario Minimize(const pb::Scenario& input, const KeepsProperty& keeps, const MinimizeOptions& options,
                      MinimizeStats* stats) {
  MinimizeStats local;
  MinimizeStats& s = stats ? *stats : local;
  return Minimizer(keeps, options, s).Run(input);
}

bool IsOneMinimal(const pb::Scenario& scenario, const KeepsProperty& keeps) {
  for (int i = 0; i < scenario.events_size(); ++i) {
    pb::Scenario c = scenario;
    c.mutable_events()->erase(c.mutable_events()->begin() + i);
    if (IsValid(c) && keeps(c)) return false;
  }
  for (int i = 0; i < scenario.schedule().choices_size(); ++i) {
    pb::Scenario c = scenario;
    c.mutable_schedule()->mutable_choices()->erase(c.mutable_schedule()->mutable_choices()->begin() + i);
    if (IsValid(c) && keeps(c)) return false;
  }
  return true;
}

}  // namespace crashdiff
