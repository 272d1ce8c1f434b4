#include "cli/interrupt.h"

#include <csignal>

namespace crashdiff::cli {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void OnStopSignal(int) {
  g_stop = true;
}

}  // namespace

std::atomic<bool>& StopRequested() {
  return g_stop;
}

StopOnSignals::StopOnSignals() {
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
}

StopOnSignals::~StopOnSignals() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

}  // namespace crashdiff::cli
