#include "fuzz/mutator/label_pool.h"

#include "sim/validate.h"

namespace crashdiff::fuzz {
namespace {

size_t Slot(pb::Family f) {
  return static_cast<size_t>(f) < 4 ? static_cast<size_t>(f) : 0;
}

}  // namespace

bool IsValidLabel(std::string_view label) {
  if (label.empty() || label.size() > kMaxLabelLength) return false;
  for (char c : label) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

void LabelPool::Add(pb::Family family, std::string_view label) {
  if (!IsValidLabel(label)) return;
  if (learned_[Slot(family)].emplace(label).second) dirty_[Slot(family)] = true;
}

bool LabelPool::Learned(pb::Family family) const {
  return !learned_[Slot(family)].empty();
}

const std::vector<std::string>& LabelPool::Labels(pb::Family family) const {
  const size_t s = Slot(family);
  if (learned_[s].empty()) return SpecLabels(family);
  if (dirty_[s]) {
    sorted_[s].assign(learned_[s].begin(), learned_[s].end());
    dirty_[s] = false;
  }
  return sorted_[s];
}

const std::vector<std::string>& LabelPool::SpecLabels(pb::Family family) {
  // Step ids named in the spec: E* offline entry, H0/L* offline loop, I* initiator, R* receiver, N* entry paths,
  // K* kexec, O* operator (ppc); C* initiator and X* receiver (x86); arm64 reuses the generic I*/R* ids.
  static const std::vector<std::string> kPpc = {
      "E1", "E2", "E3",  "E4",  "H0",  "I1", "I10", "I11", "I12", "I13", "I14", "I2",  "I3",
      "I4", "I5", "I5a", "I5b", "I6",  "I7", "I8",  "I9",  "K1",  "K2",  "K2a", "K2b", "K2c",
      "K3", "K4", "L1",  "L2",  "L2a", "L3", "L4",  "L5",  "L6",  "L7",  "L8",  "N1",  "N2",
      "N3", "O0", "O1",  "O2",  "O3",  "O4", "R0",  "R1",  "R2",  "R3",  "R4",  "R5",  "R6"};
  static const std::vector<std::string> kX86 = {"C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "E1", "E2", "E3",
                                                "K1", "K2", "K3", "K4", "X1", "X2", "X3", "X4", "X5", "X6"};
  static const std::vector<std::string> kArm64 = {"E1", "E2", "E3", "I1", "I2", "I3", "I4", "I5",
                                                  "K1", "K2", "K3", "R1", "R2", "R3", "R4", "R5"};
  switch (family) {
    case pb::X86: return kX86;
    case pb::ARM64: return kArm64;
    default: return kPpc;
  }
}

}  // namespace crashdiff::fuzz
