// A small argument reader for subcommands: flags with or without values, positionals, and clear errors.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace crashdiff::cli {

class ArgReader {
 public:
  // value_flags take a value (--target T or --target=T); bool_flags do not.
  ArgReader(const std::vector<std::string>& args, const std::set<std::string>& value_flags,
            const std::set<std::string>& bool_flags);
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  bool Has(const std::string& flag) const;
  std::optional<std::string> Value(const std::string& flag) const;
  std::vector<std::string> Values(const std::string& flag) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  std::vector<std::pair<std::string, std::string>> flags_;
  std::vector<std::string> positionals_;
  std::string error_;
};

// The one reader of numeric options, for every command: the whole value must be decimal digits (no sign, no
// spaces, no trailing junk, no hex) and lie in [min, max]; out of range is an error, never wrapped or clamped
// ("-5" is not 2^64-5). Absent flag: "" and out untouched. Else "" with out set, or the message to print, e.g.
// "--max-runs wants a whole number from 1 to 1000000000000, got '-5'".
std::string ParseNumberOption(const ArgReader& r, const std::string& flag, uint64_t min, uint64_t max, uint64_t& out);
// The same for int fields (max must fit an int).
std::string ParseNumberOption(const ArgReader& r, const std::string& flag, int min, int max, int& out);
// Seconds as a decimal number ("1.5"), in (0, max]: no sign, exponent, hex, inf or nan.
std::string ParseSecondsOption(const ArgReader& r, const std::string& flag, double max, double& out);

// ArgReader only knows long options; "-o X" is spelled "--output X" for it.
std::vector<std::string> WithLongOutputFlag(const std::vector<std::string>& args);

}  // namespace crashdiff::cli
