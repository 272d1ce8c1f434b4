#include "report/time_axis.h"

#include <algorithm>
#include <cmath>

namespace crashdiff {

TimeAxis::TimeAxis(std::vector<uint64_t> times, const AxisOptions& o) {
  if (times.empty()) times.push_back(0);
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());

  // First pass: how much linear time there is, and the natural width of every break.
  uint64_t linear_ns = 0;
  double break_px = 0;
  std::vector<double> natural(times.size(), 0);  // natural[i]: width of the gap ending at times[i] if a break
  for (size_t i = 1; i < times.size(); ++i) {
    const uint64_t gap = times[i] - times[i - 1];
    if (gap <= o.break_threshold_ns) {
      linear_ns += gap;
      continue;
    }
    const double decades = std::log10(static_cast<double>(gap) / static_cast<double>(o.break_threshold_ns));
    natural[i] = o.break_base_px + o.break_px_per_decade * decades;
    break_px += natural[i];
  }
  // Breaks may take at most 40% of the width; the linear stretches share the rest.
  const double break_scale = break_px > 0.4 * o.max_width ? 0.4 * o.max_width / break_px : 1.0;
  double used_by_breaks = 0;
  for (double& w : natural) {
    if (w > 0) w = std::max(o.min_break_px, w * break_scale);
    used_by_breaks += w;
  }
  const double room = std::max(o.max_width - used_by_breaks, 0.5 * o.max_width);
  const double px_per_ns =
      linear_ns == 0 ? o.max_px_per_ns : std::min(o.max_px_per_ns, room / static_cast<double>(linear_ns));

  knots_.push_back({times[0], 0});
  for (size_t i = 1; i < times.size(); ++i) {
    const double x0 = knots_.back().x;
    if (natural[i] > 0) {
      breaks_.push_back({times[i - 1], times[i], x0, x0 + natural[i]});
      knots_.push_back({times[i], x0 + natural[i]});
    } else {
      knots_.push_back({times[i], x0 + static_cast<double>(times[i] - times[i - 1]) * px_per_ns});
    }
  }
}

double TimeAxis::X(uint64_t t) const {
  if (t <= knots_.front().t) return knots_.front().x;
  if (t >= knots_.back().t) return knots_.back().x;
  const auto hi = std::upper_bound(knots_.begin(), knots_.end(), t, [](uint64_t v, const Knot& k) { return v < k.t; });
  const Knot& b = *hi;
  const Knot& a = *(hi - 1);
  return a.x + (b.x - a.x) * static_cast<double>(t - a.t) / static_cast<double>(b.t - a.t);
}

std::vector<TimeAxis::Stretch> TimeAxis::LinearStretches() const {
  std::vector<Stretch> out;
  uint64_t from = start_ns();
  for (const AxisBreak& b : breaks_) {
    out.push_back({from, b.from_ns});
    from = b.to_ns;
  }
  out.push_back({from, end_ns()});
  return out;
}

}  // namespace crashdiff
