// A divergence signature as a value (ARCHITECTURE §7): "<PRn|OUTCOME> <short-name>: <role> <what>
// [<target>/<platform>]". The text form is what findings, reproducers, triage records and campaign tables carry; this
// type is the one place that writes it, reads it back, keys it and names files after it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace crashdiff {

struct Signature {
  std::string property;    // "PR1".."PR11" or "OUTCOME"
  std::string short_name;  // the property's short name, or the outcome field ("handover-location", ...)
  std::string role;        // "initiator", "online-target", ...
  std::string what;        // digit-free
  std::string target;
  std::string platform;  // PlatformTag(): "doorbell", "doorbell+nmi-sysreset", "mwait", ...

  // The text form. Parse(Format()) gives the signature back for every signature RunDifferential makes.
  std::string Format() const;
  // The text form read back; nullopt (and *error says why) when text is not one. Never throws.
  static std::optional<Signature> Parse(std::string_view text, std::string* error = nullptr);

  // The bug without where it shows: "<PRn> <short-name>: <role> <what>" (the text before " [target/platform]"). The
  // regression corpus records bugs by (target, Key) and a patch is recognised as fixing one by it.
  std::string Key() const;
  // "<target>/<platform>", as the campaign table groups signatures.
  std::string Where() const { return target + "/" + platform; }
  // The reproducer file name (ReadableFileName of the text form): corpus/regressions and fuzz-out/reproducers.
  std::string FileName() const { return ReadableFileName(Format()); }

  // Key of a signature text; a text that is not a signature is its own key (as a signature without its suffix).
  static std::string KeyOf(std::string_view text);

  // A deterministic, collision-free file name for any text: lower-case words joined by '-' (at most 100
  // characters), then '-' and 8 hex digits of a hash of the whole text, then ".textproto".
  static std::string ReadableFileName(std::string_view text);

  bool operator==(const Signature&) const = default;
};

}  // namespace crashdiff
