// Per-CPU interrupt and wake hardware: the latches events set and model code clears. One table declares every
// source with the properties the simulator needs to deliver it; the semantics are DOMAIN §2.3-§2.5, §3.8.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>
#include <vector>

namespace crashdiff {

#define CRASHDIFF_SOURCES(X)                                                                                 \
  /* enum       name            maskable cleared_on_take consumed_by_wake interrupt  ppc SRR1 wake reason */ \
  X(kReset, "SYSTEM_RESET", false, true, true, true, 0x100000u)                                              \
  X(kMce, "MCE", false, true, true, true, 0x3C0000u)                                                         \
  X(kHmi, "HMI", true, true, true, true, 0x280000u)                                                          \
  X(kNmi, "NMI", false, true, false, true, 0u)                                                               \
  X(kSmi, "SMI", false, true, false, true, 0u)                                                               \
  X(kInit, "INIT", false, true, false, true, 0u)                                                             \
  X(kHdoorbell, "HDOORBELL", true, true, false, true, 0x0C0000u)                                             \
  X(kExternal, "EXTERNAL", true, false, false, true, 0x200000u)                                              \
  X(kHvi, "HVI", true, false, false, true, 0x240000u)                                                        \
  X(kIpi, "IPI", true, true, false, true, 0u)                                                                \
  X(kDec, "DEC", true, true, false, true, 0x180000u)                                                         \
  X(kSpurious, "SPURIOUS", false, false, true, false, 0u)                                                    \
  X(kMonitor, "MONITOR", false, false, false, false, 0u)                                                     \
  X(kIsi, "ISI", false, true, false, true, 0u)

enum class Source : uint8_t {
#define CRASHDIFF_SOURCE_ENUM(e, name, maskable, cleared, consumed, interrupt, srr1) e,
  CRASHDIFF_SOURCES(CRASHDIFF_SOURCE_ENUM)
#undef CRASHDIFF_SOURCE_ENUM
};

struct SourceInfo {
  std::string_view name;
  bool maskable;          // blocked while the CPU has interrupts disabled (MSR[EE]=0 / IF=0 / DAIF)
  bool cleared_on_take;   // taking the interrupt clears the latch (else the handler must clear it)
  bool consumed_by_wake;  // a wake from a stop state with this reason consumes it (reset vector, real-mode HMI)
  bool interrupt;         // can be taken as an interrupt at all (SPURIOUS and MONITOR only wake)
  uint32_t srr1;          // powerpc wake reason reported in SRR1; 0 = none
};

inline constexpr std::array kSourceInfo = {
#define CRASHDIFF_SOURCE_INFO(e, name, maskable, cleared, consumed, interrupt, srr1) \
  SourceInfo{name, maskable, cleared, consumed, interrupt, srr1},
    CRASHDIFF_SOURCES(CRASHDIFF_SOURCE_INFO)
#undef CRASHDIFF_SOURCE_INFO
};
inline constexpr size_t kNumSources = kSourceInfo.size();

constexpr const SourceInfo& Info(Source s) {
  return kSourceInfo[static_cast<size_t>(s)];
}
constexpr std::string_view Name(Source s) {
  return Info(s).name;
}

using SourceMask = uint32_t;
constexpr SourceMask Bit(Source s) {
  return SourceMask{1} << static_cast<unsigned>(s);
}

inline constexpr uint8_t kMfrrNone = 0xFF;     // XICS: no IPI requested
inline constexpr uint8_t kIpiPriority = 4;     // XICS IPI_PRIORITY
inline constexpr uint8_t kDevicePriority = 5;  // XICS default device priority

struct XiveEntry {
  bool is_ipi;
  uint32_t vector;
};

// A first-in first-out queue with the deque operations the models use. Unlike a std::deque, an empty one allocates
// nothing: every CPU of every run has a XIVE queue, and most never hold an entry.
template <typename T>
class Fifo {
 public:
  bool empty() const { return head_ == items_.size(); }
  size_t size() const { return items_.size() - head_; }
  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }
  void push_back(const T& v) { items_.push_back(v); }
  void pop_front() {
    if (++head_ == items_.size()) clear();
  }
  void clear() {
    items_.clear();
    head_ = 0;
  }
  auto begin() { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  auto end() { return items_.end(); }
  auto begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  auto end() const { return items_.end(); }

 private:
  std::vector<T> items_;
  size_t head_ = 0;
};

// The latches of one hardware thread. Model code reads and changes these only through Cpu step operations, so
// every set and clear is a scheduling point.
struct CpuHw {
  bool reset = false;
  bool mce = false;
  bool hmi = false;
  bool nmi = false;
  bool smi = false;
  bool init = false;
  bool doorbell = false;                 // powerpc hypervisor doorbell latch: a single bit, so wakes merge
  uint8_t mfrr = kMfrrNone;              // XICS IPI register: a single value, so wakes merge
  std::set<uint32_t> device_pending;     // XICS device vectors presented to this thread
  std::set<uint32_t> masked_vectors;     // vectors masked at the source by an offline flush
  Fifo<XiveEntry> xive_queue;            // XIVE event queue (HVI)
  std::set<uint32_t> ipi_vectors;        // x86/arm64 ordinary IPIs (reboot vector, IPI_CPU_STOP)
  std::set<uint32_t> taken_ipi_vectors;  // the vectors the last taken IPI interrupt delivered (set by Clear)
  bool dec = false;
  bool spurious = false;       // SPURIOUS_WAKE / KVM_EXIT: a wake with no reason
  bool monitor_fired = false;  // x86: the armed monitor saw a store
  bool isi = false;            // powerpc: the next instruction fetch with translation on faults (hash table cleared)

  bool Pending(Source s) const;
  // Called for every CPU the machine evaluates at every step: straight-line bit tests, inline.
  SourceMask PendingMask() const {
    SourceMask m = 0;
    if (reset) m |= Bit(Source::kReset);
    if (mce) m |= Bit(Source::kMce);
    if (hmi) m |= Bit(Source::kHmi);
    if (nmi) m |= Bit(Source::kNmi);
    if (smi) m |= Bit(Source::kSmi);
    if (init) m |= Bit(Source::kInit);
    if (doorbell) m |= Bit(Source::kHdoorbell);
    if (mfrr != kMfrrNone || !device_pending.empty()) m |= Bit(Source::kExternal);
    if (!xive_queue.empty()) m |= Bit(Source::kHvi);
    if (!ipi_vectors.empty()) m |= Bit(Source::kIpi);
    if (dec) m |= Bit(Source::kDec);
    if (spurious) m |= Bit(Source::kSpurious);
    if (monitor_fired) m |= Bit(Source::kMonitor);
    if (isi) m |= Bit(Source::kIsi);
    return m;
  }
  void Clear(Source s);  // what taking / being woken by s clears (table: cleared_on_take / consumed_by_wake)
};

// Wake reasons for powerpc stop, in the order the model reports them when several are pending (a choice: the
// hardware reports one reason; DOMAIN §2.3 gives no precedence).
inline constexpr std::array kStopWakePriority = {Source::kReset,    Source::kMce, Source::kHmi, Source::kHdoorbell,
                                                 Source::kExternal, Source::kHvi, Source::kDec, Source::kSpurious};

// powerpc LPCR power-saving exit-cause enables (arch/powerpc/include/asm/reg.h LPCR_PECE*): which pending
// exceptions end a stop / nap / sleep / winkle. Reset and machine check always do (and, in this model, an HMI).
inline constexpr uint64_t kLpcrPecedh = 0x8000;                // directed hypervisor doorbell (msgsnd)
inline constexpr uint64_t kLpcrPece0 = 0x4000;                 // external interrupt (XICS)
inline constexpr uint64_t kLpcrPece1 = 0x2000;                 // decrementer
inline constexpr uint64_t kLpcrPece2 = 0x1000;                 // other (machine check, HMI: always in this model)
inline constexpr uint64_t kLpcrPeceHvee = 0x0000400000000000;  // POWER9: hypervisor virtualization interrupt (XIVE)
// The sources whose pending latch ends a stop under this LPCR, besides those that always do.
SourceMask LpcrStopWakes(uint64_t lpcr);

}  // namespace crashdiff
