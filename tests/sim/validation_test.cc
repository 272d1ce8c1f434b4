// Bad input gets a clear error naming file:line, the field and the reason; nothing is clamped.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "sim/scenario_io.h"
#include "sim/validate.h"

namespace crashdiff {
namespace {

// Protobuf's text parser reports its own errors (unknown field or enum value) at the token where it noticed,
// which for an enum value is the token after it.
struct BadCase {
  const char* what;
  std::string text;
  std::string expected;  // the whole first error line
};

const std::string kMachine = "machine {\n  family: PPC\n  platform: POWER9_DOORBELL_XIVE\n";

std::vector<BadCase> BadCases() {
  return {
      {"no machine", "name: \"x\"\n", "t.textproto:0: machine: required: the machine to simulate"},
      {"platform of another family", "machine {\n  family: X86\n  platform: POWER8_XICS\n}\n",
       "t.textproto:3: machine.platform: POWER8_XICS is not a X86 platform"},
      {"too many cores", kMachine + "  cores: 1025\n}\n",
       "t.textproto:4: machine.cores: must be in [1, 1024], got 1025"},
      {"more than 1,024 cpus",
       "machine {\n  family: X86\n  platform: X86_HLT\n  cores: 1024\n  threads_per_core: 2\n}\n",
       "t.textproto:5: machine.threads_per_core: cores * threads_per_core must be at most 1024, got 2048"},
      {"more than 1,024 ppc cpus", kMachine + "  cores: 513\n  threads_per_core: 2\n}\n",
       "t.textproto:5: machine.threads_per_core: cores * threads_per_core must be at most 1024, got 1026"},
      {"bad thread count", kMachine + "  threads_per_core: 3\n}\n",
       "t.textproto:4: machine.threads_per_core: must be 1, 2, 4 or 8, got 3"},
      {"offline cpu out of range", kMachine + "  offline: 1\n  offline: 7\n}\n",
       "t.textproto:5: machine.offline[1]: CPU 7 does not exist (4 CPUs)"},
      {"boot cpu offline", kMachine + "  offline: 0\n}\n",
       "t.textproto:4: machine.offline[0]: the boot CPU cannot be offline"},
      {"never started and offline", kMachine + "  offline: 2\n  never_started: 2\n}\n",
       "t.textproto:5: machine.never_started[0]: CPU 2 is also offline"},
      {"cpu_off failing for an offline cpu",
       "machine {\n  family: ARM64\n  platform: ARM64_PSCI\n  offline: 1\n  firmware {\n    cpu_off_fails_for: 1\n  "
       "}\n}\n",
       "t.textproto:6: machine.firmware.cpu_off_fails_for[0]: CPU 1 is offline, so its CPU_OFF succeeded (a failed one "
       "BUG()s in cpu_die)"},
      {"panic_timeout range", kMachine + "  panic_timeout: -5\n}\n",
       "t.textproto:4: machine.panic_timeout: must be in [-1, 3600], got -5"},
      {"offline_dec_ns range", kMachine + "  offline_dec_ns: 5000000000\n}\n",
       "t.textproto:4: machine.offline_dec_ns: must be in [0, 4194304000] (DECREMENTER_MAX at 512 MHz), got "
       "5000000000"},
      {"tick_ns range", kMachine + "  tick_ns: 999999\n}\n",
       "t.textproto:4: machine.tick_ns: must be 0 or in [1000000, 4194304000] (HZ 1000 to DECREMENTER_MAX at 512 "
       "MHz), got 999999"},
      {"tick_ns off powerpc", "machine {\n  family: X86\n  platform: X86_HLT\n  tick_ns: 1000000\n}\n",
       "t.textproto:4: machine.tick_ns: the online decrementer tick is modelled on PPC only"},
      {"event without kind", kMachine + "}\nevents {\n  cpus: 0\n  trigger { at_step: 1 }\n}\n",
       "t.textproto:5: events[0].kind: required: one of the EventKind values"},
      {"event without trigger", kMachine + "}\nevents {\n  kind: PANIC\n  cpus: 1\n}\n",
       "t.textproto:5: events[0].trigger: required: when the event happens"},
      {"event of another family", kMachine + "}\nevents {\n  kind: SMI\n  cpus: 1\n  trigger { at_step: 3 }\n}\n",
       "t.textproto:6: events[0].kind: SMI does not exist on PPC"},
      {"hotplug needs two cpus",
       kMachine + "}\nevents {\n  kind: HOTPLUG_DOWN\n  cpus: 1\n  trigger { at_step: 3 }\n}\n",
       "t.textproto:7: events[0].cpus: HOTPLUG_DOWN takes 2 CPU(s), got 1"},
      {"label trigger on missing cpu",
       kMachine +
           "}\nevents {\n  kind: HMI\n  all_cpus: true\n  trigger {\n    on_label { cpu: 9 label: \"L2\" }\n  }\n}\n",
       "t.textproto:9: events[0].trigger.on_label.cpu: CPU 9 does not exist"},
      {"bad label characters",
       kMachine + "}\nevents {\n  kind: HMI\n  cpus: 1\n  trigger { on_label { cpu: 1 label: \"L 2\" } }\n}\n",
       "t.textproto:8: events[0].trigger.on_label.label: step labels use only letters, digits, '_', '-' and '.'"},
      {"at_step beyond budget",
       kMachine + "}\nevents {\n  kind: HMI\n  cpus: 1\n  trigger { at_step: 500 }\n}\nschedule { step_budget: 200 }\n",
       "t.textproto:8: events[0].trigger.at_step: beyond the step budget (200)"},
      {"choice cpu out of range", kMachine + "}\nschedule {\n  choices { cpu: 4 steps: 2 }\n}\n",
       "t.textproto:6: schedule.choices[0].cpu: CPU 4 does not exist"},
      {"preemption point on a missing cpu",
       kMachine + "}\nschedule {\n  choices { cpu: 0 steps: 9 after { cpu: 5 label: \"L2a\" } }\n}\n",
       "t.textproto:6: schedule.choices[0].after.cpu: CPU 5 does not exist"},
      {"preemption point occurrence",
       kMachine + "}\nschedule {\n  choices { cpu: 0 after { cpu: 1 label: \"L2a\" occurrence: 0 } }\n}\n",
       "t.textproto:6: schedule.choices[0].after.occurrence: must be in [1, 1000], got 0"},
      {"step budget too small", kMachine + "}\nschedule {\n  step_budget: 10\n}\n",
       "t.textproto:6: schedule.step_budget: must be in [100, 10000000], got 10"},
      {"pct depth", kMachine + "}\nschedule {\n  policy: PCT\n  pct_depth: 0\n}\n",
       "t.textproto:7: schedule.pct_depth: must be in [1, 16], got 0"},
      {"device vector range",
       kMachine + "}\nevents {\n  kind: DEVICE_IRQ\n  cpus: 1\n  vector: 3\n  trigger { at_step: 1 }\n}\n",
       "t.textproto:8: events[0].vector: must be in [16, 1023], got 3"},
      {"panic on a cpu that stays offline",
       kMachine + "  offline: 1\n}\nevents {\n  kind: PANIC\n  cpus: 1\n  trigger { at_step: 1 }\n}\n",
       "t.textproto:8: events[0].cpus[0]: PANIC needs CPU 1 to run kernel code, but it is offline from the start and "
       "no HOTPLUG_UP brings it online"},
      {"hotplug requested by a never-started cpu",
       kMachine +
           "  never_started: 2\n}\nevents {\n  kind: HOTPLUG_DOWN\n  cpus: [2, 1]\n  trigger { at_step: 1 }\n}\n",
       "t.textproto:8: events[0].cpus[0]: HOTPLUG_DOWN needs CPU 2 to run kernel code, but it never started (firmware "
       "holds it) and no HOTPLUG_UP starts it"},
      {"panic on an offline spin-table cpu that a hotplug up names",
       "machine {\n  family: ARM64\n  platform: ARM64_SPIN_TABLE\n  offline: 1\n}\n"
       "events {\n  kind: PANIC\n  cpus: 1\n  trigger { at_step: 9 }\n}\n"
       "events {\n  kind: HOTPLUG_UP\n  cpus: [0, 1]\n  trigger { at_step: 1 }\n}\n",
       "t.textproto:8: events[0].cpus[0]: PANIC needs CPU 1 to run kernel code, but it is offline on "
       "ARM64_SPIN_TABLE, where cpu_up is refused"},
      {"kvm_hv off powerpc", "machine {\n  family: X86\n  platform: X86_HLT\n  kvm_hv: true\n}\n",
       "t.textproto:4: machine.kvm_hv: KVM HV (CONFIG_KVM_BOOK3S_HV_POSSIBLE) is a powerpc setting: PPC platforms "
       "only"},
      {"firmware system reset on POWER8",
       "machine {\n  family: PPC\n  platform: POWER8_XICS\n  firmware { system_reset_supported: true }\n}\n",
       "t.textproto:4: machine.firmware.system_reset_supported: OPAL_SIGNAL_SYSTEM_RESET exists on POWER9 and later "
       "only, not on POWER8_XICS"},
      {"unknown field", kMachine + "  sockets: 2\n}\n",
       "t.textproto:4:10: Message type \"crashdiff.pb.Machine\" has no field named \"sockets\"."},
      {"unknown enum value", "machine {\n  family: SPARC\n}\n",
       "t.textproto:3:1: Unknown enumeration value of \"SPARC\" for field \"family\"."},
  };
}

TEST(Validation, EachMalformedScenarioGetsFileLineFieldAndReason) {
  for (const BadCase& c : BadCases()) {
    const LoadResult r = ParseScenarioText(c.text, "t.textproto");
    EXPECT_FALSE(r.scenario.has_value()) << c.what;
    ASSERT_FALSE(r.errors.empty()) << c.what;
    EXPECT_EQ(r.errors.front(), c.expected) << c.what;
  }
}

TEST(Validation, AValidScenarioHasNoErrorsAndKeepsItsValues) {
  const LoadResult r = ParseScenarioText(kMachine + "  offline: 3\n  panic_timeout: 10\n}\n", "ok.textproto");
  ASSERT_TRUE(r.scenario.has_value()) << r.errors.front();
  EXPECT_EQ(r.scenario->machine().panic_timeout(), 10);
  EXPECT_EQ(r.scenario->machine().offline(0), 3u);
}

TEST(Validation, ASoftwareEventOnAnOfflineCpuIsValidOnceAHotplugUpBringsItOnline) {
  const std::string text = kMachine +
                           "  offline: 1\n}\n"
                           "events { kind: PANIC cpus: 1 trigger { at_step: 40 } }\n"
                           "events { kind: HOTPLUG_UP cpus: [0, 1] trigger { at_step: 1 } }\n"
                           "events { kind: SYSTEM_RESET cpus: 1 trigger { at_step: 1 } }\n";
  const LoadResult r = ParseScenarioText(text, "ok.textproto");
  EXPECT_TRUE(r.scenario.has_value()) << r.errors.front();
  // Hardware events may target an offline or never-started CPU: only software events need it to run code.
  const LoadResult hw = ParseScenarioText(kMachine +
                                              "  offline: 1\n  never_started: 2\n}\n"
                                              "events { kind: HMI cpus: [1, 2] trigger { at_step: 1 } }\n",
                                          "hw.textproto");
  EXPECT_TRUE(hw.scenario.has_value()) << hw.errors.front();
}

// Real machine sizes: 1,024 CPUs and 4,096 events are valid, one more of either is a clear error.
TEST(Validation, LimitsAre1024CpusAnd4096Events) {
  pb::Scenario s;
  s.mutable_machine()->set_family(pb::X86);
  s.mutable_machine()->set_platform(pb::X86_HLT);
  s.mutable_machine()->set_cores(512);
  s.mutable_machine()->set_threads_per_core(2);
  for (int i = 0; i < kMaxEvents; ++i) {
    pb::Event* e = s.add_events();
    e->set_kind(pb::NMI);
    e->add_cpus(static_cast<uint32_t>(i % 1024));
    e->mutable_trigger()->set_at_time_ns(1000 + static_cast<uint64_t>(i));
  }
  EXPECT_TRUE(Validate(s).empty()) << PathToString(Validate(s).front().path) << ": " << Validate(s).front().reason;
  pb::Scenario more_events = s;
  *more_events.add_events() = s.events(0);
  const std::vector<ValidationError> e = Validate(more_events);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(PathToString(e[0].path), "events");
  EXPECT_EQ(e[0].reason, "at most 4096 events, got 4097");
  pb::Scenario more_cpus = s;
  more_cpus.mutable_machine()->set_cores(1025);
  more_cpus.mutable_machine()->set_threads_per_core(1);
  const std::vector<ValidationError> c = Validate(more_cpus);
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(PathToString(c[0].path), "machine.cores");
  EXPECT_EQ(c[0].reason, "must be in [1, 1024], got 1025");
}

TEST(Validation, EmptyFileIsAClearError) {
  const LoadResult r = ParseScenarioText("  \n\n", "empty.textproto");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], "empty.textproto:0: empty file: expected a text-format crashdiff.pb.Scenario");
}

TEST(Validation, BinaryDataInATextFileIsAClearError) {
  const std::string bytes("machine {\n\x01\x00\xff\xfe", 14);
  const LoadResult r = ParseScenarioText(bytes, "bin.textproto");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(
      r.errors[0],
      "bin.textproto:2: binary data (NUL byte): not a text-format scenario (binary scenarios end in .pb or .bin)");
}

TEST(Validation, HugeInputIsRejectedBeforeParsing) {
  const std::string huge(kMaxScenarioBytes + 1, ' ');
  const LoadResult r = ParseScenarioText(huge, "huge.textproto");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], "huge.textproto:0: file is larger than 1 MiB; not a scenario");
}

TEST(Validation, GarbageBinaryIsAClearErrorNeverACrash) {
  // Arbitrary bytes: either not a Scenario or an invalid one; never accepted silently, never a crash.
  uint64_t x = 0x1234567;
  for (int i = 0; i < 2000; ++i) {
    std::string bytes;
    const size_t n = 1 + (x % 64);
    for (size_t k = 0; k < n; ++k) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      bytes.push_back(static_cast<char>(x >> 56));
    }
    const LoadResult r = ParseScenarioBinary(bytes, "x.pb");
    if (r.scenario) {
      EXPECT_TRUE(IsValid(*r.scenario));
    } else {
      ASSERT_FALSE(r.errors.empty());
      EXPECT_EQ(r.errors[0].rfind("x.pb:0: ", 0), 0u) << r.errors[0];
    }
  }
}

// A field number the schema does not define, inside a sub-message (here the schedule): binary protobuf keeps it as
// an unknown field, which the text format would print as "5 { ... }" and could not read back.
std::string ValidBinaryWithUnknownFieldInSchedule() {
  const LoadResult ok =
      ParseScenarioText(kMachine + "}\nevents { kind: PANIC cpus: 0 trigger { at_step: 1 } }\n", "ok.textproto");
  EXPECT_TRUE(ok.scenario.has_value());
  pb::Scenario s = *ok.scenario;
  s.mutable_schedule()->set_seed(7);
  s.mutable_schedule()->GetReflection()->MutableUnknownFields(s.mutable_schedule())->AddVarint(99, 1);
  std::string bytes;
  s.SerializeToString(&bytes);
  return bytes;
}

TEST(Validation, UnknownFieldsAnywhereInBinaryInputAreAClearError) {
  const LoadResult r = ParseScenarioBinary(ValidBinaryWithUnknownFieldInSchedule(), "u.pb");
  EXPECT_FALSE(r.scenario.has_value());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0],
            "u.pb:0: field numbers the crashdiff.pb.Scenario schema does not define (another schema version?)");
}

TEST(Validation, MissingFileIsAClearError) {
  const LoadResult r = LoadScenarioFile("/nonexistent/dir/s.textproto");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], "/nonexistent/dir/s.textproto:0: cannot open file: No such file or directory");
}

// Every reader of scenario files (regress and patch over directories, tests) goes through the same checks as the
// command line: a FIFO is refused without being opened (open() would block until a writer came).
TEST(Validation, AFifoIsRefusedWithoutBlocking) {
  const std::string fifo = ::testing::TempDir() + "/crashdiff-validation-fifo.textproto";
  std::remove(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const LoadResult r = LoadScenarioFile(fifo);
  std::remove(fifo.c_str());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("not a regular file"), std::string::npos) << r.errors[0];
}

}  // namespace
}  // namespace crashdiff
