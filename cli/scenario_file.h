// Reading a scenario file named on the command line: the one place every command opens one. The file is checked
// before it is opened (util/file_checks.h: a FIFO would block open() forever; a directory or device gets its true
// cause), a UTF-8 byte-order mark is dropped, then the text or binary form is parsed and validated.
#pragma once

#include <string>

#include "sim/scenario_io.h"

namespace crashdiff::cli {

// Errors are "file:0: reason" for the file itself, else the parser's and validator's "file:line: field: reason".
// text, when given, receives the file's bytes (BOM dropped), e.g. to read a reproducer's header.
LoadResult LoadScenario(const std::string& path, std::string* text = nullptr);

}  // namespace crashdiff::cli
