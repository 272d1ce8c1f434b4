// Kernel cpumasks as the powerpc models keep them: struct cpumask is an array of unsigned long words
// (include/linux/cpumask.h: DECLARE_BITMAP(bits, NR_CPUS), bits[BITS_TO_LONGS(NR_CPUS)]), and each word is its own
// shared variable here, so an access is a step on the word it touches. A one-CPU operation (cpumask_test_cpu,
// set_cpu_online, cpumask_set_cpu / clear_cpu) touches the word holding that CPU's bit: one step. A whole-mask
// operation (cpumask_copy, cpumask_weight, for_each_cpu, cpumask_empty) goes over the words one load at a time, in
// word order, as lib/bitmap.c and lib/find_bit.c do: on more than 64 CPUs it is not atomic, and a store between two
// of its loads is seen or not depending on which word it hits. A machine of at most 64 CPUs has one word, named as
// the mask, so it runs the very steps a one-variable mask did.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/machine.h"
#include "sim/validate.h"

namespace crashdiff::ppc {

inline constexpr uint32_t kMaskWordBits = 64;  // BITS_PER_LONG on ppc64
inline constexpr uint32_t kMaxMaskWords = (kMaxCpus + kMaskWordBits - 1) / kMaskWordBits;

// The word holding cpu c's bit, and the bit within it (BIT_WORD, BIT_MASK).
constexpr uint32_t MaskWord(uint32_t c) {
  return c / kMaskWordBits;
}
constexpr int64_t MaskBit(uint32_t c) {
  return static_cast<int64_t>(uint64_t{1} << (c % kMaskWordBits));
}

// A cpumask's value held privately by model code: what a whole-mask read returned, or a mask the kernel computes
// without shared memory (cpu_present_mask, fixed at boot in the model).
class CpuSet {
 public:
  bool test(uint32_t c) const { return (words_[MaskWord(c)] & MaskBit(c)) != 0; }
  void set(uint32_t c) { words_[MaskWord(c)] |= MaskBit(c); }
  void reset(uint32_t c) { words_[MaskWord(c)] &= ~MaskBit(c); }
  int64_t word(uint32_t w) const { return words_[w]; }
  void set_word(uint32_t w, int64_t value) { words_[w] = value; }
  uint32_t count() const {  // cpumask_weight
    uint32_t n = 0;
    for (const int64_t w : words_) n += static_cast<uint32_t>(std::popcount(static_cast<uint64_t>(w)));
    return n;
  }
  bool empty() const {
    for (const int64_t w : words_) {
      if (w != 0) return false;
    }
    return true;
  }
  uint32_t first() const {  // cpumask_first: kNoCpu when empty
    for (uint32_t w = 0; w < kMaxMaskWords; ++w) {
      if (words_[w] == 0) continue;
      return w * kMaskWordBits + static_cast<uint32_t>(std::countr_zero(static_cast<uint64_t>(words_[w])));
    }
    return kNoCpu;
  }
  CpuSet operator&(const CpuSet& o) const {
    CpuSet r;
    for (uint32_t w = 0; w < kMaxMaskWords; ++w) r.words_[w] = words_[w] & o.words_[w];
    return r;
  }

 private:
  std::array<int64_t, kMaxMaskWords> words_{};
};

// A cpumask in shared memory: one Var per word. Word 0 keeps the mask's own name; word w > 0 is "name[w]".
class CpuMask {
 public:
  CpuMask(Machine& m, std::string_view name, uint32_t num_cpus) {
    const uint32_t n = num_cpus == 0 ? 1 : (num_cpus + kMaskWordBits - 1) / kMaskWordBits;
    words_.push_back(&m.NewVar(name, 0));
    for (uint32_t w = 1; w < n; ++w) words_.push_back(&m.NewVar(std::string(name) + "[" + std::to_string(w) + "]", 0));
  }

  uint32_t num_words() const { return static_cast<uint32_t>(words_.size()); }
  Var& word(uint32_t w) const { return *words_[w]; }
  Var& word_of(uint32_t c) const { return *words_[MaskWord(c)]; }

  // Start-up state (no step): the mask as the boot code left it.
  void Init(const CpuSet& v) {
    for (uint32_t w = 0; w < num_words(); ++w) words_[w]->value = v.word(w);
  }

  // ---- Predicates of blocking waits (no step: a wait re-reads them whenever it is evaluated) ----
  bool Has(uint32_t c) const { return (word_of(c).value & MaskBit(c)) != 0; }
  bool IsEmpty() const {
    for (const Var* w : words_) {
      if (w->value != 0) return false;
    }
    return true;
  }

  // ---- Step operations ----
  // cpumask_test_cpu / cpu_online(c): one plain load of c's word.
  Task<bool> Test(Cpu& cpu, uint32_t c, Label l) const {
    co_return (co_await cpu.read(word_of(c), l) & MaskBit(c)) != 0;
  }
  // ... through a load the kernel orders after earlier ones (Cpu::read_ordered).
  Task<bool> TestOrdered(Cpu& cpu, uint32_t c, Label l) const {
    co_return (co_await cpu.read_ordered(word_of(c), l) & MaskBit(c)) != 0;
  }
  // test_bit / set_bit / clear_bit on c's word: one atomic bit operation (Cpu::test_bit, set_bit, clear_bit).
  Cpu::TestBitOp TestBit(Cpu& cpu, uint32_t c, Label l) const { return cpu.test_bit(word_of(c), c % kMaskWordBits, l); }
  Cpu::AtomicOp SetBit(Cpu& cpu, uint32_t c, Label l) const { return cpu.set_bit(word_of(c), c % kMaskWordBits, l); }
  Cpu::AtomicOp ClearBit(Cpu& cpu, uint32_t c, Label l) const {
    return cpu.clear_bit(word_of(c), c % kMaskWordBits, l);
  }
  // A whole-mask read (cpumask_copy's source, cpumask_weight, for_each_cpu's walk): one load per word, in order.
  Task<CpuSet> Read(Cpu& cpu, Label l) const {
    CpuSet v;
    for (uint32_t w = 0; w < num_words(); ++w) v.set_word(w, co_await cpu.read(*words_[w], l));
    co_return v;
  }
  // cpumask_empty (find_first_bit): loads words in order until one is not zero.
  Task<bool> Empty(Cpu& cpu, Label l) const {
    for (uint32_t w = 0; w < num_words(); ++w) {
      if (co_await cpu.read(*words_[w], l) != 0) co_return false;
    }
    co_return true;
  }
  // cpumask_first (find_first_bit): the lowest CPU in the mask, kNoCpu when empty; loads words until one is not zero.
  Task<uint32_t> First(Cpu& cpu, Label l) const {
    for (uint32_t w = 0; w < num_words(); ++w) {
      const int64_t bits = co_await cpu.read(*words_[w], l);
      if (bits == 0) continue;
      const uint32_t base = w * kMaskWordBits;
      co_return base + static_cast<uint32_t>(std::countr_zero(static_cast<uint64_t>(bits)));
    }
    co_return kNoCpu;
  }
  // A whole-mask store (cpumask_copy's destination, cpumask_clear): one plain store per word, in order.
  Task<> Write(Cpu& cpu, CpuSet v, Label l) const {
    for (uint32_t w = 0; w < num_words(); ++w) co_await cpu.write(*words_[w], v.word(w), l);
  }

 private:
  std::vector<Var*> words_;
};

}  // namespace crashdiff::ppc
