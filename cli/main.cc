#include "cli/commands.h"

int main(int argc, char** argv) {
  return crashdiff::cli::Main(argc, argv);
}
