// AFL++ custom mutator (4.04c API: init / fuzz / post_process / describe / init_trim / trim / post_trim / deinit) over
// the same structure-aware mutator as the libFuzzer harness. Built as a plain shared object (no sanitizer, no coverage,
// shared libprotobuf: built with afl-clang-fast++ it fails to load, and the static libprotobuf is not PIC; see
// fuzz/README.md) and loaded with AFL_CUSTOM_MUTATOR_LIBRARY. It links only the mutator, the simulator's
// validation and the schema: on_label triggers use the trigger points of DOMAIN.md's step ids (the target binary learns
// real labels; this library does not run targets).
#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fuzz/mutator/input.h"
#include "fuzz/mutator/mutator.h"
#include "fuzz/mutator/trim.h"
#include "sim/rng.h"

namespace {

struct AflState {
  AflState(uint32_t seed, crashdiff::pb::Family family)
      : rng(seed), family(family), mutator(crashdiff::fuzz::MutatorOptions{.only_family = family}) {}
  crashdiff::Rng rng;
  // `crashdiff fuzz --family F` runs afl-fuzz with CRASHDIFF_FAMILY=F; this library runs inside afl-fuzz, so it
  // reads the variable itself: a mutant of another family would only be rejected by the harness.
  crashdiff::pb::Family family;
  crashdiff::fuzz::Mutator mutator;
  std::vector<uint8_t> buffer;
  std::vector<uint8_t> fitted;  // post_process's output (its input may be `buffer`)
  std::optional<crashdiff::fuzz::Trimmer> trimmer;
  std::vector<uint8_t> untrimmed;  // the input being trimmed, returned unchanged when it is not a scenario
  std::string description;
  int32_t trim_steps = 0;
};

constexpr size_t kMaxOut = 1 << 16;

}  // namespace

extern "C" {

void* afl_custom_init(void* /*afl*/, unsigned int seed) {
  // Invalid UTF-8 in string fields of AFL's own havoc mutants would make protobuf log a line per parse.
  google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char*, int, const std::string&) {});
  auto* st = new AflState(seed, crashdiff::fuzz::FamilyFromEnvironment());
  st->buffer.resize(kMaxOut);
  st->fitted.resize(kMaxOut);
  return st;
}

size_t afl_custom_fuzz(void* data, uint8_t* buf, size_t buf_size, uint8_t** out_buf, uint8_t* add_buf,
                       size_t add_buf_size, size_t max_size) {
  auto* st = static_cast<AflState*>(data);
  const size_t cap = max_size < kMaxOut ? max_size : kMaxOut;
  std::optional<crashdiff::pb::Scenario> s = crashdiff::fuzz::ParseInput(buf, buf_size);
  if (!s) {
    static constexpr crashdiff::pb::Family kFamilies[] = {crashdiff::pb::PPC, crashdiff::pb::X86, crashdiff::pb::ARM64};
    s = crashdiff::fuzz::MinimalScenario(st->family != crashdiff::pb::FAMILY_UNSPECIFIED ? st->family
                                                                                         : kFamilies[st->rng.Below(3)]);
  }
  crashdiff::pb::Scenario out = *s;
  std::optional<crashdiff::pb::Scenario> other;
  if (add_buf != nullptr && st->rng.Chance(1, 8)) other = crashdiff::fuzz::ParseInput(add_buf, add_buf_size);
  if (other) {
    st->mutator.CrossOver(*s, *other, out, st->rng);
    st->description = "CrossOver";
  } else {
    st->mutator.Mutate(out, st->rng);
    st->description = st->mutator.last();
  }
  size_t n = crashdiff::fuzz::SerializeWithin(out, st->buffer.data(), cap);
  if (n == 0) {  // cannot happen for valid scenarios under AFL's limits; hand back the input unchanged
    n = buf_size < cap ? buf_size : cap;
    std::memcpy(st->buffer.data(), buf, n);
  }
  *out_buf = st->buffer.data();
  return n;
}

// Every input afl-fuzz is about to run, its own havoc mutants included: a byte flip in a varint can make a valid
// 136-thread machine, which the structure-aware mutants never are (Mutator::Fit). What is no scenario passes
// unchanged (the harness rejects it).
size_t afl_custom_post_process(void* data, uint8_t* buf, size_t buf_size, uint8_t** out_buf) {
  auto* st = static_cast<AflState*>(data);
  *out_buf = buf;
  std::optional<crashdiff::pb::Scenario> s = crashdiff::fuzz::ParseInput(buf, buf_size);
  if (!s) return buf_size;
  st->mutator.Fit(*s);
  const size_t n = crashdiff::fuzz::SerializeWithin(*s, st->fitted.data(), st->fitted.size());
  if (n == 0) return buf_size;
  *out_buf = st->fitted.data();
  return n;
}

const char* afl_custom_describe(void* data, size_t max_description_len) {
  auto* st = static_cast<AflState*>(data);
  std::string d = "crashdiff-" + st->description;
  for (char& c : d) {
    if (c == '/' || c == ',' || c == ':') c = '_';  // AFL++ puts this in file names
  }
  if (d.size() > max_description_len) d.resize(max_description_len);
  st->description = d;
  return st->description.c_str();
}

// Structure-aware trimming: each step removes one event, a block of schedule choices, an offline CPU, ...
int32_t afl_custom_init_trim(void* data, uint8_t* buf, size_t buf_size) {
  auto* st = static_cast<AflState*>(data);
  st->untrimmed.assign(buf, buf + buf_size);
  st->trimmer.reset();
  std::optional<crashdiff::pb::Scenario> s = crashdiff::fuzz::ParseInput(buf, buf_size);
  if (!s) return 0;
  st->trimmer.emplace(*s);
  st->trim_steps = st->trimmer->remaining();
  return st->trim_steps;
}

size_t afl_custom_trim(void* data, uint8_t** out_buf) {
  auto* st = static_cast<AflState*>(data);
  *out_buf = st->buffer.data();
  if (!st->trimmer || st->trimmer->done()) {
    const size_t n = st->untrimmed.size() < kMaxOut ? st->untrimmed.size() : kMaxOut;
    std::memcpy(st->buffer.data(), st->untrimmed.data(), n);
    return n;
  }
  return crashdiff::fuzz::SerializeWithin(st->trimmer->Candidate(), st->buffer.data(), kMaxOut);
}

int32_t afl_custom_post_trim(void* data, uint8_t success) {
  auto* st = static_cast<AflState*>(data);
  if (!st->trimmer) return 1;
  st->trimmer->Accept(success != 0);
  // AFL++ keeps trimming while the returned index is below the step count init_trim returned.
  return st->trim_steps - st->trimmer->remaining();
}

void afl_custom_deinit(void* data) {
  delete static_cast<AflState*>(data);
}

}  // extern "C"
