// A small argument reader for subcommands: flags with or without values, positionals, and clear errors.
#pragma once

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

// ArgReader only knows long options; "-o X" is spelled "--output X" for it.
std::vector<std::string> WithLongOutputFlag(const std::vector<std::string>& args);

}  // namespace crashdiff::cli
