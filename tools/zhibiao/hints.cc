#include "tools/zhibiao/hints.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/doc/metadata.h"

namespace zb::cli {
namespace fs = std::filesystem;

namespace {

// One CSV row: fields separated by commas, "quoted" fields may hold commas
// and doubled quotes.
std::vector<std::string> CsvFields(absl::string_view line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back().push_back(c);
    }
  }
  for (std::string& f : out) f = std::string(absl::StripAsciiWhitespace(f));
  return out;
}

std::string Canonical(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
  return ec ? path : p.string();
}

}  // namespace

absl::StatusOr<zhibiao::v1::DocumentKind> ParseKind(absl::string_view name) {
  for (auto kind :
       {zhibiao::v1::DOCUMENT_KIND_RULE_OF_LAW_REPORT,
        zhibiao::v1::DOCUMENT_KIND_GOVERNMENT_WORK_REPORT,
        zhibiao::v1::DOCUMENT_KIND_STATISTICAL_BULLETIN, zhibiao::v1::DOCUMENT_KIND_OTHER}) {
    if (name == doc::KindName(kind)) return kind;
  }
  if (name == "法治政府建设报告" || name == "法治")
    return zhibiao::v1::DOCUMENT_KIND_RULE_OF_LAW_REPORT;
  if (name == "政府工作报告") return zhibiao::v1::DOCUMENT_KIND_GOVERNMENT_WORK_REPORT;
  if (name == "统计公报") return zhibiao::v1::DOCUMENT_KIND_STATISTICAL_BULLETIN;
  if (name == "其他") return zhibiao::v1::DOCUMENT_KIND_OTHER;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown document kind \"", name, "\": use rule_of_law, work_report, statistics or other"));
}

absl::StatusOr<HintBook> HintBook::FromManifest(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the manifest ", path));
  std::string line;
  std::vector<std::string> header;
  HintBook book;
  const fs::path folder = fs::path(path).parent_path();
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (number == 1 && absl::StartsWith(line, "\xEF\xBB\xBF")) line.erase(0, 3);  // Excel's BOM
    if (absl::StripAsciiWhitespace(line).empty() || line[0] == '#') continue;
    std::vector<std::string> fields = CsvFields(line);
    if (header.empty()) {
      header = fields;
      bool has_path = false;
      for (const std::string& h : header) has_path = has_path || h == "path";
      if (!has_path) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", number, ": the header row names no `path` column"));
      }
      continue;
    }
    zhibiao::v1::ReportHints hints;
    std::string file;
    for (size_t i = 0; i < header.size() && i < fields.size(); ++i) {
      const std::string& name = header[i];
      const std::string& value = fields[i];
      if (value.empty()) continue;
      auto bad = [&](absl::string_view why) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", number, ": ", name, " \"", value, "\" ", why));
      };
      if (name == "path") {
        file = (folder / value).lexically_normal().string();
      } else if (name == "region_code") {
        hints.set_region_code(value);
      } else if (name == "report_year") {
        int year = 0;
        if (!absl::SimpleAtoi(value, &year)) return bad("is not a year");
        hints.set_report_year(year);
      } else if (name == "kind") {
        auto kind = ParseKind(value);
        if (!kind.ok()) return bad("is not a document kind");
        hints.set_kind(*kind);
      } else if (name == "issuer") {
        hints.set_issuer(value);
      } else if (name == "published_date") {
        hints.set_published_date(value);
      } else if (name == "source_url") {
        hints.set_source_url(value);
      } else if (name == "title") {
        hints.set_title(value);
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", number, ": unknown column \"", name,
                         "\" (path, region_code, report_year, kind, issuer, published_date, "
                         "source_url, title)"));
      }
    }
    if (file.empty())
      return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": no path"));
    book.Set(file, std::move(hints));
  }
  return book;
}

void HintBook::Set(const std::string& file, zhibiao::v1::ReportHints hints) {
  by_path_[Canonical(file)] = std::move(hints);
}

const zhibiao::v1::ReportHints& HintBook::For(const std::string& file,
                                              const zhibiao::v1::ReportHints& fallback) const {
  auto it = by_path_.find(Canonical(file));
  return it == by_path_.end() ? fallback : it->second;
}

}  // namespace zb::cli
