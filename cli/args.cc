#include "cli/args.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

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

namespace {

bool AllDigits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

std::string ParseNumberOption(const ArgReader& r, const std::string& flag, uint64_t min, uint64_t max, uint64_t& out) {
  const std::optional<std::string> v = r.Value(flag);
  if (!v) return "";
  errno = 0;
  const unsigned long long n = AllDigits(*v) ? std::strtoull(v->c_str(), nullptr, 10) : 0;
  if (!AllDigits(*v) || errno == ERANGE || n < min || n > max) {
    return flag + " wants a whole number from " + std::to_string(min) + " to " + std::to_string(max) + ", got '" + *v +
           "'";
  }
  out = n;
  return "";
}

std::string ParseNumberOption(const ArgReader& r, const std::string& flag, int min, int max, int& out) {
  uint64_t n = 0;
  std::string error = ParseNumberOption(r, flag, static_cast<uint64_t>(min), static_cast<uint64_t>(max), n);
  if (error.empty() && r.Value(flag)) out = static_cast<int>(n);
  return error;
}

std::string ParseSecondsOption(const ArgReader& r, const std::string& flag, double max, double& out) {
  const std::optional<std::string> v = r.Value(flag);
  if (!v) return "";
  // Digits with at most one '.', at least one digit: strtod alone would take "inf", "nan", "1e999" and "0x10".
  const bool shape = !v->empty() && v->find_first_not_of("0123456789.") == std::string::npos &&
                     std::count(v->begin(), v->end(), '.') <= 1 && v->find_first_of("0123456789") != std::string::npos;
  const double s = shape ? std::strtod(v->c_str(), nullptr) : 0;
  if (!shape || !(s > 0) || s > max) {
    char limit[32];
    std::snprintf(limit, sizeof limit, "%g", max);
    return flag + " wants a positive number of seconds up to " + limit + ", got '" + *v + "'";
  }
  out = s;
  return "";
}

std::vector<std::string> WithLongOutputFlag(const std::vector<std::string>& args) {
  std::vector<std::string> out = args;
  for (std::string& a : out) {
    if (a == "-o") a = "--output";
  }
  return out;
}

}  // namespace crashdiff::cli
