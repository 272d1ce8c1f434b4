#include "fuzz/mutator/input.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sim/scenario_io.h"
#include "sim/validate.h"

namespace crashdiff::fuzz {
namespace {

class SilentErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
};

}  // namespace

std::optional<pb::Scenario> ParseInput(const uint8_t* data, size_t size) {
  if (size > kMaxScenarioBytes) return std::nullopt;
  pb::Scenario s;
  if (!s.ParseFromArray(data, static_cast<int>(size)) || HasUnknownFields(s)) {
    s.Clear();
    // Text format is tried only for text: no control characters but tab, CR and LF (UTF-8 in comments is fine).
    const bool printable = size > 0 && std::all_of(data, data + size, [](uint8_t c) {
                             return c >= 32 ? c != 127 : (c == '\n' || c == '\t' || c == '\r');
                           });
    if (!printable) return std::nullopt;
    google::protobuf::TextFormat::Parser parser;
    SilentErrors silent;
    parser.RecordErrorsTo(&silent);
    google::protobuf::io::ArrayInputStream in(data, static_cast<int>(size));
    if (!parser.Parse(&in, &s)) return std::nullopt;
  }
  if (!IsValid(s)) return std::nullopt;
  return s;
}

size_t SerializeWithin(const pb::Scenario& scenario, uint8_t* out, size_t max_size) {
  pb::Scenario s = scenario;
  std::string bytes;
  s.SerializeToString(&bytes);
  while (bytes.size() > max_size && (s.schedule().choices_size() > 0 || s.events_size() > 0)) {
    if (s.schedule().choices_size() > 0) {
      s.mutable_schedule()->mutable_choices()->RemoveLast();
    } else {
      s.mutable_events()->RemoveLast();
    }
    bytes.clear();
    s.SerializeToString(&bytes);
  }
  if (bytes.size() > max_size) return 0;
  std::memcpy(out, bytes.data(), bytes.size());
  return bytes.size();
}

std::optional<pb::Scenario> ParseInputFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string bytes = buf.str();
  return ParseInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

std::vector<pb::Scenario> LoadScenarioDir(const std::string& dir) {
  std::vector<pb::Scenario> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return out;
  std::vector<std::filesystem::path> files;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec); !ec && it != std::filesystem::end(it);
       it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    if (auto s = ParseInputFile(f)) out.push_back(*s);
  }
  return out;
}

}  // namespace crashdiff::fuzz
