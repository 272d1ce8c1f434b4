// Opening an input file for reading, with the checks that give a true cause instead of a misleading one: a
// directory is "is a directory" (not "larger than 1 MiB"), a FIFO or device is "not a regular file" (and a FIFO is
// never opened: open() would block until a writer came), and a file over the size limit is refused before it is
// read.
#pragma once

#include <cstddef>
#include <string>

namespace crashdiff {

struct FileContents {
  std::string data;
  std::string error;  // "" on success, else the reason (without the path)
};

// Reads the regular file at path, at most max_bytes long. stat() comes first: only a regular file is opened.
FileContents ReadRegularFile(const std::string& path, size_t max_bytes);

// A UTF-8 byte-order mark at the start of text says nothing in UTF-8 (some Windows editors write one); it is
// dropped rather than reported as a "non ascii codepoint 239". Returns whether one was there.
bool StripUtf8Bom(std::string& text);

}  // namespace crashdiff
