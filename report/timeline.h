// The timeline: one run drawn as a picture a kernel reviewer can read. One lane per CPU with its location states
// as coloured spans (colours from sim/location.h), a compressed time axis (long idle waits become labelled
// breaks), markers for wakes, interrupts, events and console lines, shared writes as hover text, the hand-over as
// a vertical line, and the divergence witness highlighted. Output is self-contained (no scripts, fonts or URLs)
// and deterministic: the same run renders to the same bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "oracle/facts.h"  // Witness: where a divergence shows (CPU, step label, step, model time)
#include "report/time_axis.h"
#include "sim/machine.h"

namespace crashdiff {

struct TimelineOptions {
  std::string title;               // e.g. "repro.textproto on ppc-upstream"
  std::string subtitle;            // e.g. the divergence signature; the run summary is always added
  std::optional<Witness> witness;  // drawn if set(); a CPU beyond the run's marks the events row
  AxisOptions axis;
};

std::string RenderTimelineSvg(const RunResult& run, const TimelineOptions& options = {});
// An HTML page embedding exactly the SVG of RenderTimelineSvg, with a little inline CSS.
std::string RenderTimelineHtml(const RunResult& run, const TimelineOptions& options = {});

}  // namespace crashdiff
