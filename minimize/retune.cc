#include "minimize/retune.h"

#include <google/protobuf/text_format.h>

#include <functional>
#include <regex>
#include <vector>

#include "sim/validate.h"

namespace crashdiff {
namespace {

// One anchor of the scenario: its name, its value, and how to set it on a copy.
struct Anchor {
  int event;
  std::string leaf;
  uint64_t value;
  std::function<void(pb::Scenario&, uint64_t)> set;
};

std::string FieldName(int event, const std::string& leaf) {
  return event < 0 ? "schedule." + leaf : "events[" + std::to_string(event) + "].trigger." + leaf;
}

std::vector<Anchor> TriggerAnchors(const pb::Scenario& s) {
  std::vector<Anchor> out;
  for (int i = 0; i < s.events_size(); ++i) {
    const pb::Trigger& t = s.events(i).trigger();
    switch (t.when_case()) {
      case pb::Trigger::kAtTimeNs:
        out.push_back({i, "at_time_ns", t.at_time_ns(), [i](pb::Scenario& c, uint64_t v) {
                         c.mutable_events(i)->mutable_trigger()->set_at_time_ns(v);
                       }});
        break;
      case pb::Trigger::kAtStep:
        out.push_back({i, "at_step", t.at_step(),
                       [i](pb::Scenario& c, uint64_t v) { c.mutable_events(i)->mutable_trigger()->set_at_step(v); }});
        break;
      case pb::Trigger::kAfterHandoverNs:
        out.push_back({i, "after_handover_ns", t.after_handover_ns(), [i](pb::Scenario& c, uint64_t v) {
                         c.mutable_events(i)->mutable_trigger()->set_after_handover_ns(v);
                       }});
        break;
      default: break;
    }
  }
  return out;
}

bool SeededSchedule(const pb::Scenario& s) {
  return s.has_schedule() && (s.schedule().policy() == pb::RANDOM || s.schedule().policy() == pb::PCT);
}

}  // namespace

Retuned Retune(const pb::Scenario& input, const KeepsProperty& keeps, const RetuneOptions& options) {
  Retuned r;
  r.scenario = input;
  const auto stopped = [&] { return options.stop != nullptr && options.stop->load(); };
  // A candidate counts only if it is valid (a moved trigger can leave its range) and keeps the property.
  const auto try_variant = [&](const pb::Scenario& candidate) {
    if (!IsValid(candidate)) return false;
    ++r.runs;
    return keeps(candidate);
  };
  ++r.runs;
  if (keeps(input)) {
    r.found = true;
    return r;
  }
  // Nearest first over every trigger at once: distance 1 on each anchor, then distance 2, ...
  const std::vector<Anchor> anchors = TriggerAnchors(input);
  for (uint64_t d = 1; d <= options.window && !anchors.empty() && !stopped(); ++d) {
    for (const Anchor& a : anchors) {
      for (const bool up : {true, false}) {
        if (!up && a.value < d) continue;
        const uint64_t v = up ? a.value + d : a.value - d;
        pb::Scenario candidate = input;
        a.set(candidate, v);
        if (!try_variant(candidate)) continue;
        r = Retuned{true, std::move(candidate), FieldName(a.event, a.leaf), a.event, a.leaf, a.value, v, r.runs};
        return r;
      }
    }
  }
  if (SeededSchedule(input)) {
    for (uint64_t seed = 1; seed <= options.seeds && !stopped(); ++seed) {
      if (seed == input.schedule().seed()) continue;
      pb::Scenario candidate = input;
      candidate.mutable_schedule()->set_seed(seed);
      if (!try_variant(candidate)) continue;
      r = Retuned{true, std::move(candidate), FieldName(-1, "seed"), -1, "seed", input.schedule().seed(), seed, r.runs};
      return r;
    }
  }
  return r;
}

std::string RetuneText(const std::string& text, const Retuned& retuned, std::string* error) {
  using google::protobuf::FieldDescriptor;
  using google::protobuf::TextFormat;
  const auto fail = [&](const std::string& why) {
    *error = why;
    return std::string();
  };
  if (!retuned.found || retuned.leaf.empty()) return fail("nothing was moved");
  pb::Scenario parsed;
  TextFormat::Parser parser;
  TextFormat::ParseInfoTree tree;
  parser.WriteLocationsTo(&tree);
  if (!parser.ParseFromString(text, &parsed)) return fail("the text does not parse");
  const auto* scenario = pb::Scenario::descriptor();
  const TextFormat::ParseInfoTree* node = &tree;
  const google::protobuf::Descriptor* type = scenario;
  const auto down = [&](const char* name, int index) {
    const FieldDescriptor* f = type->FindFieldByName(name);
    node = node != nullptr ? node->GetTreeForNested(f, index) : nullptr;
    type = f->message_type();
  };
  if (retuned.event >= 0) {
    if (retuned.event >= parsed.events_size()) return fail("the text has fewer events than the scenario retuned");
    down("events", retuned.event);
    down("trigger", -1);
  } else {
    down("schedule", -1);
  }
  const FieldDescriptor* leaf = type->FindFieldByName(retuned.leaf);
  const TextFormat::ParseLocation at =
      node != nullptr && leaf != nullptr ? node->GetLocation(leaf, -1) : TextFormat::ParseLocation();
  if (at.line < 0) return fail(retuned.field + " is not written out in the text (write the variant with -o)");
  // The location is the field name's; its value follows the colon.
  size_t pos = 0;
  for (int line = 0; line < at.line && pos != std::string::npos; ++line) {
    pos = text.find('\n', pos);
    if (pos != std::string::npos) ++pos;
  }
  if (pos == std::string::npos) return fail("the parser's location is past the text");
  pos += static_cast<size_t>(at.column);
  std::smatch m;
  const std::string rest = text.substr(pos);
  if (!std::regex_search(rest, m, std::regex("^" + retuned.leaf + "\\s*:\\s*([0-9]+)")) ||
      std::stoull(m.str(1)) != retuned.from) {
    return fail("the text at " + retuned.field + " is not its old value " + std::to_string(retuned.from));
  }
  const size_t value_at = pos + static_cast<size_t>(m.position(1));
  return text.substr(0, value_at) + std::to_string(retuned.to) + text.substr(value_at + m.length(1));
}

}  // namespace crashdiff
