#include "cli/args.h"

namespace crashdiff::cli {

ArgReader::ArgReader(const std::vector<std::string>& args, const std::set<std::string>& value_flags,
                     const std::set<std::string>& bool_flags) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0 || a == "--") {
      positionals_.push_back(a);
      continue;
    }
    std::string name = a;
    std::optional<std::string> value;
    if (const size_t eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
    }
    if (value_flags.count(name)) {
      if (!value) {
        if (i + 1 >= args.size()) {
          error_ = name + " needs a value";
          return;
        }
        value = args[++i];
      }
      flags_.emplace_back(name, *value);
    } else if (bool_flags.count(name)) {
      if (value) {
        error_ = name + " takes no value";
        return;
      }
      flags_.emplace_back(name, "");
    } else {
      error_ = "unknown option " + name;
      return;
    }
  }
}

bool ArgReader::Has(const std::string& flag) const {
  for (const auto& f : flags_) {
    if (f.first == flag) return true;
  }
  return false;
}

std::optional<std::string> ArgReader::Value(const std::string& flag) const {
  std::optional<std::string> v;
  for (const auto& f : flags_) {
    if (f.first == flag) v = f.second;
  }
  return v;
}

std::vector<std::string> ArgReader::Values(const std::string& flag) const {
  std::vector<std::string> out;
  for (const auto& f : flags_) {
    if (f.first == flag) out.push_back(f.second);
  }
  return out;
}

std::vector<std::string> WithLongOutputFlag(const std::vector<std::string>& args) {
  std::vector<std::string> out = args;
  for (std::string& a : out) {
    if (a == "-o") a = "--output";
  }
  return out;
}

}  // namespace crashdiff::cli
