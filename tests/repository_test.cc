// The repository stands on its own: a public clone has none of the documents the project was started from, so no
// file may cite them (their paths, their section numbers, their issue numbers), and every "DOMAIN §N.M" or
// "ARCHITECTURE §N" citation must name a section that exists in docs/DOMAIN*.md or docs/ARCHITECTURE.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path kRoot = CRASHDIFF_SOURCE_DIR;

// Files that still cite outside documents because another branch was editing them when the citations were
// migrated. The lead empties this list after merging; a listed file that no longer cites anything fails the test, so
// the list can only shrink.
const std::set<std::string> kNotYetMigrated = {};

// The section sign in UTF-8, spelled out so that this file does not match its own patterns.
const std::string kSect = "\xC2\xA7";

// Case-insensitive substrings that cite a document outside the repository.
std::vector<std::string> ForbiddenNeedles() {
  return {
      "../"
      "shared",
      "/work/"
      "shared",
      "spec " + kSect,
      "spec's " + kSect,
      "design " + kSect,
      "toolchain " + kSect};
}

// Top-level entries that are build output or scratch space (.gitignore), never sources.
bool SkippedTopLevel(const std::string& name) {
  return name == ".git" || name == "out" || name.rfind("build", 0) == 0 || name.rfind("fuzz-out", 0) == 0;
}

bool SkippedFile(const fs::path& p) {
  const std::string name = p.filename().string();
  const auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with(".timeline.html") || ends_with(".pyc");
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Every text file of the source tree, keyed by its path relative to the root.
std::map<std::string, std::string> SourceTexts() {
  std::map<std::string, std::string> out;
  for (const auto& top : fs::directory_iterator(kRoot)) {
    if (SkippedTopLevel(top.path().filename().string())) continue;
    std::vector<fs::path> files;
    if (top.is_regular_file()) files.push_back(top.path());
    if (top.is_directory()) {
      for (const auto& e : fs::recursive_directory_iterator(top.path())) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
    }
    for (const fs::path& p : files) {
      if (SkippedFile(p) || fs::file_size(p) > (4u << 20)) continue;
      std::string text = Read(p);
      if (text.find('\0') != std::string::npos) continue;  // binary (seed zips, images)
      out.emplace(fs::relative(p, kRoot).generic_string(), std::move(text));
    }
  }
  return out;
}

// What in `text` cites a document outside the repository, one entry per citation.
std::vector<std::string> OutsideCitations(const std::string& text) {
  std::vector<std::string> found;
  const std::string lower = Lower(text);
  for (const std::string& needle : ForbiddenNeedles()) {
    for (size_t at = lower.find(needle); at != std::string::npos; at = lower.find(needle, at + 1)) {
      found.push_back(text.substr(at, needle.size() + 8));
    }
  }
  static const std::regex kIssue(R"(\bissue [0-9]+\b)", std::regex::icase);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kIssue); it != std::sregex_iterator(); ++it) {
    found.push_back(it->str());
  }
  return found;
}

// Section numbers ("2", "3.11") of the numbered headings of a Markdown file.
std::set<std::string> Sections(const fs::path& p) {
  std::set<std::string> out;
  static const std::regex kHeading(R"(^#+ ([0-9]+(\.[0-9]+)?)\.? )");
  std::istringstream in(Read(p));
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, kHeading)) out.insert(m[1]);
  }
  return out;
}

std::set<std::string> DomainSections() {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(kRoot / "docs")) {
    const std::string name = e.path().filename().string();
    if (name.rfind("DOMAIN", 0) == 0 && e.path().extension() == ".md") out.merge(Sections(e.path()));
  }
  return out;
}

// "DOMAIN §3.1-§3.3, §4" -> {"3.1", "3.3", "4"}: every section number of every citation of `doc` in `text`.
std::vector<std::string> CitedSections(const std::string& text, const std::string& doc) {
  const std::regex citation(doc + " " + kSect + "((" + kSect + "|[0-9.,\\- ]|\xE2\x80\x93)+)");
  static const std::regex kNumber(R"([0-9]+(\.[0-9]+)?)");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), citation); it != std::sregex_iterator(); ++it) {
    const std::string tail = (*it)[1];
    for (auto n = std::sregex_iterator(tail.begin(), tail.end(), kNumber); n != std::sregex_iterator(); ++n) {
      out.push_back(n->str());
    }
  }
  return out;
}

TEST(Repository, CitesNoDocumentOutsideIt) {
  const auto texts = SourceTexts();
  ASSERT_GT(texts.size(), 100u) << "the walk of " << kRoot << " found too few files";
  for (const auto& [path, text] : texts) {
    const std::vector<std::string> found = OutsideCitations(text);
    if (kNotYetMigrated.contains(path)) {
      EXPECT_FALSE(found.empty()) << path << " no longer cites outside documents: remove it from kNotYetMigrated";
      continue;
    }
    for (const std::string& f : found) ADD_FAILURE() << path << ": cites a document outside the repository: " << f;
  }
}

TEST(Repository, NotYetMigratedFilesExist) {
  for (const std::string& path : kNotYetMigrated) EXPECT_TRUE(fs::exists(kRoot / path)) << path;
}

TEST(Repository, DomainCitationsNameExistingSections) {
  const std::set<std::string> domain = DomainSections();
  const std::set<std::string> architecture = Sections(kRoot / "docs/ARCHITECTURE.md");
  // The numbering the code relies on: the implementations and the properties.
  for (const char* s : {"1.2", "1.3", "2.5", "2.8", "2.9", "3.2", "3.5", "3.11", "6", "7", "9"}) {
    EXPECT_TRUE(domain.contains(s)) << "docs/DOMAIN*.md has no section " << s;
  }
  size_t citations = 0;
  for (const auto& [path, text] : SourceTexts()) {
    for (const std::string& s : CitedSections(text, "DOMAIN")) {
      ++citations;
      EXPECT_TRUE(domain.contains(s)) << path << ": cites DOMAIN " << kSect << s << ", which docs/DOMAIN*.md lacks";
    }
    for (const std::string& s : CitedSections(text, "ARCHITECTURE")) {
      ++citations;
      EXPECT_TRUE(architecture.contains(s))
          << path << ": cites ARCHITECTURE " << kSect << s << ", which docs/ARCHITECTURE.md lacks";
    }
  }
  EXPECT_GT(citations, 100u) << "the citation pattern no longer matches how the tree cites DOMAIN.md";
}

// The checks themselves: what they catch and what they leave alone.
TEST(Repository, CitationPatterns) {
  EXPECT_EQ(OutsideCitations("see ../"
                             "shared/spec")
                .size(),
            1u);
  EXPECT_EQ(OutsideCitations("(Spec " + kSect + "7 row A)").size(), 1u);
  EXPECT_EQ(OutsideCitations("Issue "
                             "12 asks")
                .size(),
            1u);
  EXPECT_TRUE(OutsideCitations("TargetSpec kSpec; DOMAIN " + kSect + "3.2; tissue 3; the issue's number").empty());
  EXPECT_EQ(CitedSections("(DOMAIN " + kSect + "3.1-" + kSect + "3.3, " + kSect + "4; S42)", "DOMAIN"),
            (std::vector<std::string>{"3.1", "3.3", "4"}));
  EXPECT_EQ(CitedSections("DOMAIN " + kSect + "3.8-3.11 and DOMAIN " + kSect + "6 PR3", "DOMAIN"),
            (std::vector<std::string>{"3.8", "3.11", "6"}));
}

}  // namespace
