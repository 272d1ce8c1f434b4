// The trace hash (sim/trace.cc, docs/SIMULATOR.md "Trace hash"): a function of the entries' content and order only,
// the same on every build and host, and changed by a change of any field of any entry.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "diff/differential.h"
#include "sim/scenario_io.h"
#include "sim/trace.h"

namespace crashdiff {
namespace {

TraceEntry Entry(uint64_t step, std::string_view label, std::string detail) {
  TraceEntry e;
  e.step = step;
  e.time_ns = 10 * step + 3;
  e.cpu = static_cast<uint32_t>(step % 4);
  e.kind = TraceKind::kWrite;
  e.label = label;
  e.location = Location::kRunOld;
  e.detail = std::move(detail);
  e.value = -7;
  return e;
}

uint64_t HashOf(const std::vector<TraceEntry>& entries, bool record = false) {
  Trace t;
  t.set_record(record);
  for (const TraceEntry& e : entries) t.Add(e);
  return t.hash();
}

std::vector<TraceEntry> Base() {
  return {Entry(1, "crash_kexec", "panic_cpu = 1"), Entry(2, "smp_send_stop", ""),
          Entry(3, "L", "a detail text longer than sixteen bytes, and longer than thirty-two")};
}

// A fixed value: the function is pinned, so a build or host that computes it otherwise (endianness, the width of a
// word) fails here rather than in a comparison of two runs.
TEST(TraceHash, IsAFixedFunctionOfTheEntries) {
  EXPECT_EQ(HashOf(Base()), HashOf(Base(), /*record=*/true));
  EXPECT_EQ(HashOf(Base()), 0x3049C233FC493CDCull) << std::hex << HashOf(Base());
  EXPECT_EQ(HashOf({}), Trace().hash());
}

TEST(TraceHash, EveryFieldOfEveryEntryCounts) {
  const uint64_t base = HashOf(Base());
  std::set<uint64_t> seen{base};
  int variants = 0;
  const auto check = [&](const std::vector<TraceEntry>& v) {
    ++variants;
    const uint64_t h = HashOf(v);
    EXPECT_NE(h, base) << "variant " << variants;
    seen.insert(h);
  };
  for (size_t i = 0; i < 3; ++i) {
    auto v = Base();
    v[i].step ^= 1;
    check(v);
    v = Base();
    v[i].time_ns += 1;
    check(v);
    v = Base();
    v[i].cpu = kNoCpu;
    check(v);
    v = Base();
    v[i].kind = TraceKind::kRead;
    check(v);
    v = Base();
    v[i].location = Location::kParkedFw;
    check(v);
    v = Base();
    v[i].value = 7;
    check(v);
    v = Base();
    v[i].label = "crash_kexed";
    check(v);
    v = Base();
    v[i].detail += ' ';
    check(v);
  }
  // Order counts, and a text moved from the label to the detail counts.
  auto swapped = Base();
  std::swap(swapped[0], swapped[1]);
  check(swapped);
  auto moved = Base();
  moved[1].label = "";
  moved[1].detail = "smp_send_stop";
  check(moved);
  EXPECT_EQ(seen.size(), static_cast<size_t>(variants) + 1);  // all distinct
}

// Every byte of a label or detail of any length up to 80 counts, as does the length itself (a text and the same
// text with a NUL appended, whose words read the same).
TEST(TraceHash, EveryByteAndTheLengthOfATextCount) {
  std::set<uint64_t> seen;
  size_t variants = 0;
  for (size_t n = 0; n <= 80; ++n) {
    std::string text;
    for (size_t i = 0; i < n; ++i) text += static_cast<char>('a' + i % 26);
    const auto hash = [&](const std::string& label, const std::string& detail) {
      ++variants;
      seen.insert(HashOf({Entry(5, label, detail)}));
    };
    hash(text, "");
    if (n > 0) hash("", text);
    hash(text + std::string(1, '\0'), "");
    for (size_t i = 0; i < n; ++i) {
      std::string changed = text;
      changed[i] = static_cast<char>(changed[i] ^ 0x20);
      hash(changed, "");
      hash("", changed);
    }
  }
  // The NUL-extended text of length n is also the plain-text case of length n+1 only when the byte matches; here it
  // never does ('a' + i), so every variant is distinct.
  EXPECT_EQ(seen.size(), variants);
}

// Without the hash (the fuzz harness's runs) the entries are kept as before and hash() stays at its start value.
TEST(TraceHash, OffKeepsTheEntriesAndLeavesTheHashAtItsStart) {
  Trace off;
  off.set_hash(false);
  for (const TraceEntry& e : Base()) off.Add(e);
  EXPECT_EQ(off.entries().size(), Base().size());
  EXPECT_EQ(off.hash(), Trace().hash());
  EXPECT_NE(HashOf(Base(), true), Trace().hash());
}

// The differential judges a run the same with and without its trace hash: the same divergences, in the same order.
TEST(TraceHash, TheDifferentialDoesNotDependOnIt) {
  const LoadResult loaded = LoadScenarioFile(std::string(CRASHDIFF_SOURCE_DIR) +
                                             "/corpus/seeds/ppc/b_stray_doorbell_before_crash_wake.textproto");
  ASSERT_TRUE(loaded.scenario);
  const DiffReport with = RunDifferential(*loaded.scenario);
  DiffOptions no_hash;
  no_hash.hash_traces = false;
  const DiffReport without = RunDifferential(*loaded.scenario, no_hash);
  std::vector<std::string> a, b;
  for (const Divergence& d : with.divergences) a.push_back(d.signature);
  for (const Divergence& d : without.divergences) b.push_back(d.signature);
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace crashdiff
