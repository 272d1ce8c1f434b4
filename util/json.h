// A minimal JSON writer (Debian has no small JSON library in the C++ toolchain we use; this covers the
// subset crashdiff emits: objects, arrays, strings, integers, booleans). Output is deterministic.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace crashdiff {

class JsonWriter {
 public:
  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }
  JsonWriter& Key(std::string_view k) {
    Separator();
    Quote(k);
    out_ += ':';
    after_key_ = true;
    return *this;
  }
  JsonWriter& String(std::string_view s) {
    Separator();
    Quote(s);
    return *this;
  }
  JsonWriter& Int(int64_t v) {
    Separator();
    out_ += std::to_string(v);
    return *this;
  }
  JsonWriter& Uint(uint64_t v) {
    Separator();
    out_ += std::to_string(v);
    return *this;
  }
  JsonWriter& Bool(bool b) {
    Separator();
    out_ += b ? "true" : "false";
    return *this;
  }
  JsonWriter& Null() {
    Separator();
    out_ += "null";
    return *this;
  }
  const std::string& str() const { return out_; }

  // The length of the well-formed UTF-8 sequence s starts with (s[0] >= 0x80), or 0 if it starts none.
  static size_t Utf8SequenceLength(std::string_view s) {
    const auto b = [&](size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0u; };
    const auto cont = [&](size_t i, unsigned lo = 0x80, unsigned hi = 0xBF) { return b(i) >= lo && b(i) <= hi; };
    const unsigned c = b(0);
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;        // no overlongs
    if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;  // no surrogates
    if (c >= 0xE1 && c <= 0xEF) return cont(1) && cont(2) ? 3 : 0;
    if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
    if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
    if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;  // up to U+10FFFF
    return 0;
  }

 private:
  JsonWriter& Open(char c) {
    Separator();
    out_ += c;
    first_.push_back(true);
    return *this;
  }
  JsonWriter& Close(char c) {
    out_ += c;
    first_.pop_back();
    return *this;
  }
  void Separator() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_.empty()) {
      if (!first_.back()) out_ += ',';
      first_.back() = false;
    }
  }
  // JSON text is UTF-8 (RFC 8259 §8.1), but our strings need not be: a path can hold any bytes. Each byte that
  // does not start a well-formed UTF-8 sequence (RFC 3629: no overlongs, surrogates or code points past U+10FFFF)
  // becomes \ufffd, the replacement character, as WHATWG's and Go's encoders do. Not \u00XX: that would turn
  // byte 0xE9 into the character U+00E9, indistinguishable from a real "é" in the same string.
  void Quote(std::string_view s) {
    out_ += '"';
    for (size_t i = 0; i < s.size();) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x80) {
        const size_t n = Utf8SequenceLength(s.substr(i));
        if (n == 0) {
          out_ += "\\ufffd";
          ++i;
        } else {
          out_.append(s.substr(i, n));
          i += n;
        }
        continue;
      }
      ++i;
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\n': out_ += "\\n"; break;
        case '\t': out_ += "\\t"; break;
        case '\r': out_ += "\\r"; break;
        default:
          if (c < 0x20) {
            static constexpr char kHex[] = "0123456789abcdef";
            out_ += "\\u00";
            out_ += kHex[c >> 4];
            out_ += kHex[c & 15];
          } else {
            out_ += static_cast<char>(c);
          }
      }
    }
    out_ += '"';
  }
  std::string out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace crashdiff
