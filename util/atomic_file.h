// Writing an output file atomically: a reader (or a crash midway) never sees a half-written file.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace crashdiff {

// Writes content to a temporary file in path's directory, then renames it over path. Returns "" on success, else
// a message naming the path and the reason.
// The temporary is ".<file name>.tmp-<pid>-XXXXXX": the pid tells RemoveStaleTemporaries whether its writer still
// runs.
std::string WriteFileAtomically(const std::string& path, std::string_view content);

// Like WriteFileAtomically, but never replaces an existing file: several writers racing to record the same thing
// (campaign workers finding one signature) leave exactly the first one's file, complete.
enum class CreateResult { kCreated, kExists, kFailed };
CreateResult CreateFileAtomically(const std::string& path, std::string_view content, std::string* error = nullptr);

// Removes the temporaries WriteFileAtomically left in dir when its process was killed between creating and renaming
// one (kill -9, a crash): ".<name>.tmp-<pid>-XXXXXX" whose pid no longer runs, and ".<name>.tmp-XXXXXX" (earlier
// versions' names, without a pid). Other files are never touched. Returns how many it removed.
size_t RemoveStaleTemporaries(const std::string& dir);

}  // namespace crashdiff
