// Ctrl-C and SIGTERM as a request to stop a long search (minimize, retune): while a StopOnSignals is alive they set
// StopRequested() instead of killing the process, so the command can keep its best result so far; the default
// handlers come back when it goes out of scope.
#pragma once

#include <atomic>

namespace crashdiff::cli {

// The process's stop flag: set by the signals, and by a command that must stop for a reason of its own.
std::atomic<bool>& StopRequested();

class StopOnSignals {
 public:
  StopOnSignals();
  ~StopOnSignals();
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;
};

}  // namespace crashdiff::cli
