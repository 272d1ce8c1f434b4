// A compressed time axis: model time -> x offset. Runs put nanosecond steps next to multi-second waits, so every
// stretch in which nothing happens for longer than a threshold is drawn as a narrow break (its width grows with the
// logarithm of its length, and its label gives the real duration); everything else is linear. The whole axis fits
// a maximum width, so a 10-second wait costs a few dozen pixels, not a million.
#pragma once

#include <cstdint>
#include <vector>

namespace crashdiff {

struct AxisOptions {
  uint64_t break_threshold_ns = 100;  // idle gaps longer than this become breaks
  double max_width = 1200;            // target width of the whole axis
  double max_px_per_ns = 16;          // linear scale when the run is short
  double break_base_px = 16;          // width of a break just over the threshold ...
  double break_px_per_decade = 5;     // ... plus this per factor of ten in its length
  double min_break_px = 8;
};

struct AxisBreak {
  uint64_t from_ns = 0;
  uint64_t to_ns = 0;
  double x0 = 0;
  double x1 = 0;
};

class TimeAxis {
 public:
  // times: every moment something happens (any order, duplicates allowed); the axis spans [min, max].
  explicit TimeAxis(std::vector<uint64_t> times, const AxisOptions& options = {});

  // Monotone; linear inside each segment (a time inside a break falls proportionally inside it); clamped at the ends.
  double X(uint64_t t) const;
  double width() const { return knots_.back().x; }
  uint64_t start_ns() const { return knots_.front().t; }
  uint64_t end_ns() const { return knots_.back().t; }
  const std::vector<AxisBreak>& breaks() const { return breaks_; }
  // Linear segments between breaks, as [from, to] time ranges (for tick placement).
  struct Stretch {
    uint64_t from_ns;
    uint64_t to_ns;
  };
  std::vector<Stretch> LinearStretches() const;

 private:
  struct Knot {
    uint64_t t;
    double x;
  };
  std::vector<Knot> knots_;
  std::vector<AxisBreak> breaks_;
};

}  // namespace crashdiff
