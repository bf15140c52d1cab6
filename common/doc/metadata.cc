#include "common/doc/metadata.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/doc/dates.h"
#include "common/text/numerals.h"

namespace zb::doc {
namespace {

// Words that end the name of a government body.
constexpr absl::string_view kIssuerEndings[] = {
    "人民政府办公室", "人民政府办公厅", "人民政府", "政府", "委员会", "办公室", "办公厅",
    "管理局", "局", "厅", "委", "办", "院", "中心", "街道办事处", "办事处"};

// A four-digit year before 年 in `s` (first one), or 0. Also 二〇二一年.
int FirstYear(absl::string_view s) {
  for (size_t i = 0; i + 4 < s.size(); ++i) {
    if ((s[i] == '1' || s[i] == '2') && absl::ascii_isdigit(s[i + 1]) &&
        absl::ascii_isdigit(s[i + 2]) && absl::ascii_isdigit(s[i + 3]) &&
        (i == 0 || !absl::ascii_isdigit(s[i - 1])) && absl::StartsWith(s.substr(i + 4), "年")) {
      int y = (s[i] - '0') * 1000 + (s[i + 1] - '0') * 100 + (s[i + 2] - '0') * 10 + (s[i + 3] - '0');
      if (y >= 1990 && y <= 2100) return y;
    }
  }
  // Chinese digits: 二〇二一年
  for (size_t i = 0; i < s.size();) {
    size_t j = i;
    size_t k = i;
    int digits = 0;
    int value = 0;
    while (k < s.size()) {
      size_t next = k;
      char32_t c = text::NextCodePoint(s, &next);
      int d = text::ChineseDigitValue(c);
      if (d < 0) break;
      // Only four-digit years matter; longer runs are read but not valued
      // (a run of 三 must not overflow).
      if (digits < 4) value = value * 10 + d;
      ++digits;
      k = next;
    }
    if (digits == 4 && absl::StartsWith(s.substr(k), "年") && value >= 1990 && value <= 2100) {
      return value;
    }
    text::NextCodePoint(s, &j);
    i = k > i ? k : j;
  }
  return 0;
}

}  // namespace

std::string IssuerFromTitle(absl::string_view title) {
  size_t about = title.find("关于");
  absl::string_view head = about == absl::string_view::npos ? title : title.substr(0, about);
  if (about == absl::string_view::npos) {
    // "新乡市2021年法治政府建设情况报告": the issuer is the text before the year.
    for (size_t i = 0; i < head.size(); ++i) {
      if (absl::ascii_isdigit(head[i])) {
        head = head.substr(0, i);
        break;
      }
    }
  }
  head = absl::StripAsciiWhitespace(head);
  if (head.empty() || head.size() > 90) return "";
  return std::string(head);
}

void DeriveMetadata(const DocumentStructure& structure, absl::string_view text,
                    const RegionTable& regions, zhibiao::v1::ReportMeta* meta,
                    std::vector<zhibiao::v1::Warning>* warnings) {
  auto warn = [&](absl::string_view code, std::string message) {
    zhibiao::v1::Warning w;
    w.set_code(std::string(code));
    w.set_message(std::move(message));
    warnings->push_back(std::move(w));
  };
  meta->set_title(structure.title);
  meta->set_salutation(structure.salutation);
  meta->set_signature(structure.signature);

  // Issuer: from the title, else the signature.
  std::string issuer = IssuerFromTitle(structure.title);
  bool issuer_is_body = false;
  for (absl::string_view ending : kIssuerEndings) {
    issuer_is_body = issuer_is_body || absl::EndsWith(issuer, ending);
  }
  if ((issuer.empty() || !issuer_is_body) && !structure.signature.empty()) {
    issuer = structure.signature;
  }
  meta->set_issuer(issuer);
  if (issuer.empty()) warn("issuer_unresolved", "no issuer in the title or signature");

  // Region: the issuer's, else the title's or signature's.
  std::optional<zhibiao::v1::Region> region = regions.ResolvePrefix(issuer);
  if (!region) region = regions.ResolvePrefix(structure.title);
  if (!region && !structure.signature.empty()) region = regions.ResolvePrefix(structure.signature);
  if (region) {
    *meta->mutable_region() = *region;
  } else {
    // Keep the name as written (up to the administrative suffix) for search.
    std::string name;
    for (absl::string_view suffix : {"自治县", "自治州", "县", "市", "区", "旗", "州", "盟", "省"}) {
      size_t at = issuer.find(std::string(suffix));
      if (at != std::string::npos && at >= 6) {
        name = issuer.substr(0, at + suffix.size());
        break;
      }
    }
    meta->mutable_region()->set_name(name);
    warn("region_unresolved",
         absl::StrCat("region of issuer \"", issuer, "\" is not in the GB/T 2260 table",
                      name.empty() ? "" : absl::StrCat(" (read as \"", name, "\")")));
  }

  // Publication date: the closing date line.
  if (!structure.date_line.empty()) {
    if (auto d = ParseDateLine(structure.date_line)) meta->set_published_date(d->Iso());
  }
  if (meta->published_date().empty()) warn("date_unresolved", "no publication date line at the end");

  // Report year: the title's year, else the body's first year, else the year
  // before publication (reports are published in the first quarter).
  int year = FirstYear(structure.title);
  if (year == 0) {
    for (const auto& section : structure.sections) {
      year = FirstYear(section.text());
      if (year != 0) break;
    }
  }
  if (year == 0 && !meta->published_date().empty()) {
    year = std::stoi(meta->published_date().substr(0, 4)) - 1;
  }
  meta->set_report_year(year);
  if (year == 0) warn("year_unresolved", "no report year in the title or body");
  (void)text;
}

}  // namespace zb::doc
