#include "common/doc/metadata.h"

#include <algorithm>
#include <optional>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/doc/dates.h"
#include "common/text/normalize.h"
#include "common/text/numerals.h"

namespace zb::doc {
namespace {

using zhibiao::v1::DocumentKind;

// Words that end the name of a government body.
constexpr absl::string_view kIssuerEndings[] = {"人民政府办公室",
                                                "人民政府办公厅",
                                                "人民政府",
                                                "政府",
                                                "委员会",
                                                "办公室",
                                                "办公厅",
                                                "管理局",
                                                "局",
                                                "厅",
                                                "委",
                                                "办",
                                                "院",
                                                "中心",
                                                "街道办事处",
                                                "办事处"};

bool EndsWithIssuerWord(absl::string_view s) {
  for (absl::string_view ending : kIssuerEndings) {
    if (absl::EndsWith(s, ending)) return true;
  }
  return false;
}

// A four-digit year before 年 in `s` (first one), or 0. Also 二〇二一年.
int FirstYear(absl::string_view s) {
  for (size_t i = 0; i + 4 < s.size(); ++i) {
    if ((s[i] == '1' || s[i] == '2') && absl::ascii_isdigit(s[i + 1]) &&
        absl::ascii_isdigit(s[i + 2]) && absl::ascii_isdigit(s[i + 3]) &&
        (i == 0 || !absl::ascii_isdigit(s[i - 1])) && absl::StartsWith(s.substr(i + 4), "年")) {
      int y =
          (s[i] - '0') * 1000 + (s[i + 1] - '0') * 100 + (s[i + 2] - '0') * 10 + (s[i + 3] - '0');
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

// The first date in `s` (2026年1月26日, 2026-02-03 09:20), or nullopt.
std::optional<Date> FirstDate(absl::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (!absl::ascii_isdigit(s[i]) || (i > 0 && absl::ascii_isdigit(s[i - 1]))) continue;
    size_t length = 0;
    if (auto d = ParseDatePrefix(s.substr(i), &length)) return d;
  }
  return std::nullopt;
}

// A date in a page address: /202602/t20260202_89362001.html, /2026/01/31/.
std::optional<Date> DateInUrl(absl::string_view url) {
  for (size_t i = 0; i + 8 <= url.size(); ++i) {
    if (i > 0 && absl::ascii_isdigit(url[i - 1])) continue;
    size_t n = 0;
    while (i + n < url.size() && absl::ascii_isdigit(url[i + n])) ++n;
    if (n == 8) {
      Date d;
      const bool digits = absl::SimpleAtoi(url.substr(i, 4), &d.year) &&
                          absl::SimpleAtoi(url.substr(i + 4, 2), &d.month) &&
                          absl::SimpleAtoi(url.substr(i + 6, 2), &d.day);
      if (digits && d.year >= 1990 && d.year <= 2100 && d.month >= 1 && d.month <= 12 &&
          d.day >= 1 && d.day <= 31) {
        return d;
      }
    }
    if (n == 4 && i + 10 <= url.size() && url[i + 4] == '/') {
      size_t length = 0;
      std::string dashed(url.substr(i, 10));
      std::replace(dashed.begin(), dashed.end(), '/', '-');
      if (auto d = ParseDatePrefix(dashed, &length); d && length == 10) return d;
    }
  }
  return std::nullopt;
}

int YearOfIso(absl::string_view iso) {
  int year = 0;
  if (iso.size() < 4 || !absl::SimpleAtoi(iso.substr(0, 4), &year)) return 0;
  return year;
}

// The start of the body, where a report names itself: enough for the
// region it speaks of and the words it uses.
std::string BodyPrefix(const DocumentStructure& structure, size_t max_bytes) {
  std::string out;
  for (const auto& section : structure.sections) {
    if (out.size() >= max_bytes) break;
    absl::StrAppend(&out, section.text(), "\n");
  }
  if (out.size() > max_bytes) {
    size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  return out;
}

int Count(absl::string_view text, absl::string_view word) {
  int n = 0;
  for (size_t at = text.find(word); at != absl::string_view::npos;
       at = text.find(word, at + word.size())) {
    ++n;
  }
  return n;
}

// Words a report uses of its own region, by the suffix of the region's name.
struct ScopeWords {
  absl::string_view suffix;
  absl::string_view words[4];
};
constexpr ScopeWords kScopeWords[] = {
    {"省", {"全省", "我省", "省政府", "本省"}},    {"市", {"全市", "我市", "市政府", "本市"}},
    {"县", {"全县", "我县", "县政府", "本县"}},    {"区", {"全区", "我区", "区政府", "本区"}},
    {"州", {"全州", "我州", "州政府", "本州"}},    {"旗", {"全旗", "我旗", "旗政府", "本旗"}},
    {"盟", {"全盟", "我盟", "盟行政公署", "本盟"}}};

// Words that follow a region's name when the text speaks as that region
// (X市坚持…, X县司法局贯彻落实…).
constexpr absl::string_view kActorWords[] = {
    "坚持", "认真", "深入",   "全面",   "始终",     "紧紧",   "围绕",   "扎实",     "积极",
    "持续", "大力", "着力",   "聚焦",   "贯彻",     "全力",   "立足",   "牢固",     "按照",
    "把",   "以",   "在市委", "在县委", "在区委",   "在州委", "在省委", "人民政府", "政府",
    "市委", "县委", "区委",   "州委",   "法治政府", "司法局", "各级",   "上下"};

// Department words that, after a region's name at the start of the body,
// make the body's first words its issuer (X县司法局贯彻落实…).
constexpr absl::string_view kDepartmentEndings[] = {"局", "委员会", "办公室", "厅", "委", "中心"};

struct BodyEvidence {
  std::string region_code;  // "" when the body does not say
  std::string department;   // "X县司法局" when the body starts with one
};

// The region the body speaks of as its own: the name that most often stands
// where the report acts (X市坚持…, 2023年以来,X县…), weighed by the scope
// words the report uses (全市, 我县) and told apart from names it shares with
// other regions by the regions the text names besides.
BodyEvidence ReadBody(absl::string_view body, const RegionTable& regions, RegionCodeSet* context) {
  BodyEvidence out;
  const std::vector<RegionMention> mentions = regions.FindMentions(body);
  for (const RegionMention& m : mentions) {
    if (m.codes.size() == 1) context->insert(m.codes.front());
  }
  // The suffix the report's scope words point to (全市 → 市), when it uses them.
  absl::string_view scope_suffix;
  int scope_best = 0;
  for (const ScopeWords& s : kScopeWords) {
    int n = 0;
    for (absl::string_view w : s.words) n += Count(body, w);
    if (n > scope_best) {
      scope_best = n;
      scope_suffix = s.suffix;
    }
  }
  absl::flat_hash_map<std::string, int> score;
  for (const RegionMention& m : mentions) {
    const std::string code =
        m.codes.size() == 1 ? m.codes.front() : regions.Disambiguate(m.codes, *context);
    if (code.empty()) continue;
    int weight = 1;
    absl::string_view after = body.substr(m.offset + m.length);
    for (absl::string_view w : kActorWords) {
      if (absl::StartsWith(after, w)) {
        weight += 3;
        break;
      }
    }
    absl::string_view before = body.substr(0, m.offset);
    if (before.empty() || absl::EndsWith(before, "\n") || absl::EndsWith(before, "。") ||
        absl::EndsWith(before, "年以来,") || absl::EndsWith(before, "年,") ||
        absl::EndsWith(before, "年来,") || absl::EndsWith(before, "年度,")) {
      weight += 2;
    }
    auto region = regions.FindByCode(code);
    if (region && !scope_suffix.empty() && absl::EndsWith(region->name(), scope_suffix))
      weight *= 2;
    score[code] += weight;
    // "X县司法局贯彻落实…" at the very start: the issuer is that department.
    if (out.department.empty() && m.offset < 60) {
      for (absl::string_view ending : kDepartmentEndings) {
        const size_t at = after.find(ending);
        if (at > 30) continue;  // also npos: not found
        absl::string_view name = after.substr(0, at + ending.size());
        bool one_word = true;
        for (absl::string_view stop : {",", "。", ":", ";", "、", " ", "\n"}) {
          one_word = one_word && !absl::StrContains(name, stop);
        }
        if (!one_word) continue;
        out.department = absl::StrCat(body.substr(m.offset, m.length), name);
        break;
      }
    }
  }
  int best = 0;
  for (const auto& [code, s] : score) {
    if (s > best || (s == best && code < out.region_code)) {
      best = s;
      out.region_code = code;
    }
  }
  // One passing mention is not a claim.
  if (best < 3) out.region_code.clear();
  return out;
}

void Warn(std::vector<zhibiao::v1::Warning>* warnings, absl::string_view code,
          std::string message) {
  zhibiao::v1::Warning w;
  w.set_code(std::string(code));
  w.set_message(std::move(message));
  warnings->push_back(std::move(w));
}

std::string Describe(const zhibiao::v1::Region& r) {
  return r.code().empty() ? absl::StrCat("\"", r.name(), "\"")
                          : absl::StrCat(r.code(), " (", r.name(), ")");
}

// The region, found in the places that name it, strongest first.
std::optional<zhibiao::v1::Region> RegionFromText(const DocumentStructure& structure,
                                                  absl::string_view issuer,
                                                  const BodyEvidence& body,
                                                  const RegionTable& regions,
                                                  const RegionCodeSet& context) {
  // "——2026年1月26日在河南省第十四届人民代表大会…": the congress's region.
  std::string delivery_region;
  if (const size_t at = structure.delivery_line.find("在"); at != std::string::npos) {
    delivery_region = structure.delivery_line.substr(at + 3);
  }
  for (absl::string_view source :
       {issuer, absl::string_view(structure.title), absl::string_view(delivery_region),
        absl::string_view(structure.speaker_line), absl::string_view(structure.signature),
        absl::string_view(structure.salutation)}) {
    if (source.empty()) continue;
    if (auto r = regions.ResolvePrefix(source, &context)) return r;
  }
  for (const std::string& line : structure.front_lines) {
    if (auto r = regions.ResolvePrefix(line, &context)) return r;
  }
  if (!body.region_code.empty()) return regions.FindByCode(body.region_code);
  return std::nullopt;
}

// Genre words of titles, by kind.
bool TitleSays(absl::string_view title, std::initializer_list<absl::string_view> words) {
  for (absl::string_view w : words) {
    if (absl::StrContains(title, w)) return true;
  }
  return false;
}

}  // namespace

const char* KindName(DocumentKind kind) {
  switch (kind) {
    case zhibiao::v1::DOCUMENT_KIND_RULE_OF_LAW_REPORT: return "rule_of_law";
    case zhibiao::v1::DOCUMENT_KIND_GOVERNMENT_WORK_REPORT: return "work_report";
    case zhibiao::v1::DOCUMENT_KIND_STATISTICAL_BULLETIN: return "statistics";
    case zhibiao::v1::DOCUMENT_KIND_OTHER: return "other";
    default: return "";
  }
}

DocumentKind DetectKind(const DocumentStructure& structure) {
  std::string heads = structure.title;
  for (const std::string& line : structure.front_lines) absl::StrAppend(&heads, "\n", line);
  if (TitleSays(heads, {"政府工作报告"})) return zhibiao::v1::DOCUMENT_KIND_GOVERNMENT_WORK_REPORT;
  if (TitleSays(heads, {"统计公报"})) return zhibiao::v1::DOCUMENT_KIND_STATISTICAL_BULLETIN;
  if (TitleSays(heads, {"法治政府", "依法行政", "法治建设"}))
    return zhibiao::v1::DOCUMENT_KIND_RULE_OF_LAW_REPORT;
  // The body's shape: a speech to a congress, a bulletin's figures, the
  // vocabulary of rule-of-law reports.
  const std::string body = BodyPrefix(structure, 12000);
  if (absl::StrContains(structure.delivery_line, "人民代表大会") ||
      (absl::StrContains(structure.salutation, "各位代表") &&
       absl::StrContains(body, "政府工作"))) {
    return zhibiao::v1::DOCUMENT_KIND_GOVERNMENT_WORK_REPORT;
  }
  const int bulletin =
      Count(body, "比上年增长") + Count(body, "比上年下降") + Count(body, "初步核算");
  if (bulletin >= 5 && absl::StrContains(body, "初步核算"))
    return zhibiao::v1::DOCUMENT_KIND_STATISTICAL_BULLETIN;
  // Rule-of-law vocabulary, dense enough to be the subject, not a chapter.
  int terms = 0, uses = 0;
  for (absl::string_view w :
       {"法治政府", "法治建设", "行政执法", "行政复议", "依法行政", "行政应诉", "普法", "法律顾问",
        "合法性审查", "法治思想", "规范性文件"}) {
    const int n = Count(body, w);
    terms += n > 0;
    uses += n;
  }
  const int64_t chars = text::CodePointCount(body);
  if (terms >= 2 && uses >= std::max<int64_t>(2, chars / 1500)) {
    return zhibiao::v1::DOCUMENT_KIND_RULE_OF_LAW_REPORT;
  }
  return zhibiao::v1::DOCUMENT_KIND_OTHER;
}

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

absl::Status ValidateHints(const zhibiao::v1::ReportHints& hints, const RegionTable& regions) {
  if (!hints.region_code().empty() && !regions.FindByCode(hints.region_code())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hints.region_code \"", hints.region_code().substr(0, 16),
        "\" is not a GB/T 2260 region code in zhibiao's table (six digits, e.g. 410700)"));
  }
  if (hints.report_year() != 0 && (hints.report_year() < 1949 || hints.report_year() > 2100)) {
    return absl::InvalidArgumentError(
        absl::StrCat("hints.report_year ", hints.report_year(), " is outside 1949..2100"));
  }
  if (!hints.published_date().empty()) {
    size_t length = 0;
    auto d = ParseDatePrefix(hints.published_date(), &length);
    if (!d || length != hints.published_date().size() || hints.published_date().size() != 10 ||
        hints.published_date()[4] != '-') {
      return absl::InvalidArgumentError(absl::StrCat("hints.published_date \"",
                                                     hints.published_date().substr(0, 32),
                                                     "\" is not an ISO 8601 date (YYYY-MM-DD)"));
    }
  }
  if (!zhibiao::v1::DocumentKind_IsValid(hints.kind())) {
    return absl::InvalidArgumentError(
        absl::StrCat("hints.kind ", hints.kind(), " is not a DocumentKind"));
  }
  for (const auto& [name, value, limit] :
       {std::tuple<absl::string_view, absl::string_view, size_t>{"issuer", hints.issuer(), 300},
        {"title", hints.title(), 1000},
        {"source_url", hints.source_url(), 4096}}) {
    if (value.size() > limit) {
      return absl::InvalidArgumentError(
          absl::StrCat("hints.", name, " is ", value.size(), " bytes, over the limit of ", limit));
    }
    if (value.find_first_of("\n\r") != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("hints.", name, " holds a line break"));
    }
  }
  return absl::OkStatus();
}

namespace {

// The kind the text reads as, unless a hint says otherwise (a warning when
// the two disagree).
DocumentKind DeriveKind(const DocumentStructure& structure, const zhibiao::v1::ReportHints& hints,
                        std::vector<zhibiao::v1::Warning>* warnings) {
  const DocumentKind detected_kind = DetectKind(structure);
  DocumentKind kind = detected_kind;
  if (hints.kind() != zhibiao::v1::DOCUMENT_KIND_UNSPECIFIED) {
    if (detected_kind != hints.kind() && detected_kind != zhibiao::v1::DOCUMENT_KIND_OTHER) {
      Warn(warnings, "hint_contradicts_text",
           absl::StrCat("kind hint ", KindName(hints.kind()),
                        " contradicts the text, which reads as ", KindName(detected_kind)));
    }
    kind = hints.kind();
  }
  return kind;
}

struct IssuerAndRegion {
  std::string issuer;
  std::optional<zhibiao::v1::Region> region;
};

// Issuer: from the title, else the signature, else the body's first words;
// region: the hint, else the places that name it; then the issuer hint (a
// warning for each hint the text contradicts).
IssuerAndRegion DeriveIssuerAndRegion(const DocumentStructure& structure,
                                      const RegionTable& regions,
                                      const zhibiao::v1::ReportHints& hints, DocumentKind kind,
                                      std::vector<zhibiao::v1::Warning>* warnings) {
  RegionCodeSet context;
  const std::string body = BodyPrefix(structure, 9000);
  std::string heads = absl::StrCat(structure.title, "\n", structure.delivery_line, "\n",
                                   structure.speaker_line, "\n", structure.signature);
  for (const std::string& line : structure.front_lines) absl::StrAppend(&heads, "\n", line);
  for (const RegionMention& m : regions.FindMentions(heads)) {
    if (m.codes.size() == 1) context.insert(m.codes.front());
  }
  const BodyEvidence body_evidence = ReadBody(body, regions, &context);
  std::string issuer = IssuerFromTitle(structure.title);
  if ((issuer.empty() || !EndsWithIssuerWord(issuer)) && !structure.signature.empty()) {
    issuer = structure.signature;
  }
  if (!EndsWithIssuerWord(issuer) && !body_evidence.department.empty())
    issuer = body_evidence.department;
  if (!EndsWithIssuerWord(issuer)) issuer.clear();

  // Region: the hint, else the places that name it.
  std::optional<zhibiao::v1::Region> text_region =
      RegionFromText(structure, issuer, body_evidence, regions, context);
  std::optional<zhibiao::v1::Region> region = text_region;
  if (!hints.region_code().empty()) {
    region = regions.FindByCode(hints.region_code());
    if (text_region && region && text_region->code() != region->code() &&
        !regions.IsAncestorCode(text_region->code(), region->code()) &&
        !regions.IsAncestorCode(region->code(), text_region->code())) {
      Warn(warnings, "hint_contradicts_text",
           absl::StrCat("region hint ", Describe(*region), " contradicts the text, which names ",
                        Describe(*text_region)));
    }
  }
  // A speech's issuer is its government (河南省人民政府).
  if (issuer.empty() && region && kind == zhibiao::v1::DOCUMENT_KIND_GOVERNMENT_WORK_REPORT) {
    issuer = absl::StrCat(region->name(), "人民政府");
  }
  if (!hints.issuer().empty()) {
    if (!issuer.empty() && issuer != hints.issuer()) {
      Warn(warnings, "hint_contradicts_text",
           absl::StrCat("issuer hint \"", hints.issuer(), "\" contradicts the text, which names \"",
                        issuer, "\""));
    }
    issuer = hints.issuer();
    if (!hints.region_code().empty() || text_region) {
      // keep the region found above
    } else if (auto r = regions.ResolvePrefix(issuer, &context)) {
      region = r;
    }
  }
  return {issuer, region};
}

// Sets the region, or, when none is known, the name as written (up to the
// administrative suffix) for search, with a warning.
void SetRegion(const DocumentStructure& structure, const std::string& issuer,
               const std::optional<zhibiao::v1::Region>& region, zhibiao::v1::ReportMeta* meta,
               std::vector<zhibiao::v1::Warning>* warnings) {
  if (region) {
    *meta->mutable_region() = *region;
  } else {
    // Keep the name as written (up to the administrative suffix) for search.
    std::string name;
    absl::string_view written =
        !issuer.empty() ? absl::string_view(issuer) : absl::string_view(structure.title);
    for (absl::string_view suffix :
         {"自治县", "自治州", "县", "市", "区", "旗", "州", "盟", "省"}) {
      size_t at = written.find(suffix);
      if (at != absl::string_view::npos && at >= 6 && at <= 60) {
        name = std::string(written.substr(0, at + suffix.size()));
        break;
      }
    }
    meta->mutable_region()->set_name(name);
    Warn(warnings, "region_unresolved",
         absl::StrCat("region of issuer \"", issuer, "\" is not in the GB/T 2260 table",
                      name.empty() ? "" : absl::StrCat(" (read as \"", name, "\")")));
  }
}

// Publication date: the closing date, else the page's date, else a date in
// the page's address, else the delivery of a speech; the hint wins.
void DerivePublishedDate(const DocumentStructure& structure, const zhibiao::v1::ReportHints& hints,
                         zhibiao::v1::ReportMeta* meta,
                         std::vector<zhibiao::v1::Warning>* warnings) {
  std::optional<Date> published;
  if (!structure.date_line.empty()) published = ParseDateLine(structure.date_line);
  if (!published && !structure.page_date.empty()) published = FirstDate(structure.page_date);
  if (!published && !hints.source_url().empty()) published = DateInUrl(hints.source_url());
  if (!published) published = FirstDate(structure.delivery_line);
  if (published) meta->set_published_date(published->Iso());
  if (!hints.published_date().empty()) {
    if (published && published->Iso() != hints.published_date()) {
      Warn(warnings, "hint_contradicts_text",
           absl::StrCat("published_date hint ", hints.published_date(),
                        " contradicts the text, which is dated ", published->Iso()));
    }
    meta->set_published_date(hints.published_date());
  }
  if (meta->published_date().empty()) {
    Warn(warnings, "date_unresolved",
         "no publication date in the closing lines, page or delivery line");
  }
}

// The year reported on. A work report delivered in Y reviews Y-1; other
// reports name their year in the title or their first lines; the hint wins.
int DeriveReportYear(const DocumentStructure& structure, const zhibiao::v1::ReportHints& hints,
                     DocumentKind kind, const zhibiao::v1::ReportMeta& meta,
                     std::vector<zhibiao::v1::Warning>* warnings) {
  int year = 0;
  const int published_year = YearOfIso(meta.published_date());
  if (kind == zhibiao::v1::DOCUMENT_KIND_GOVERNMENT_WORK_REPORT) {
    int delivered = YearOfIso(meta.delivered_date());
    if (delivered == 0) delivered = FirstYear(structure.title);
    if (delivered == 0) delivered = published_year;
    if (delivered != 0) year = delivered - 1;
  } else {
    year = FirstYear(structure.title);
    if (year == 0) {
      for (const auto& section : structure.sections) {
        year = FirstYear(section.text());
        if (year != 0) break;
      }
    }
    if (year == 0 && published_year != 0) year = published_year - 1;
  }
  if (hints.report_year() != 0) {
    if (year != 0 && year != hints.report_year()) {
      Warn(warnings, "hint_contradicts_text",
           absl::StrCat("report_year hint ", hints.report_year(),
                        " contradicts the text, which reports on ", year));
    }
    year = hints.report_year();
  }
  if (year == 0) Warn(warnings, "year_unresolved", "no report year in the title or body");
  return year;
}

}  // namespace

void DeriveMetadata(const DocumentStructure& structure, const RegionTable& regions,
                    const zhibiao::v1::ReportHints& hints, zhibiao::v1::ReportMeta* meta,
                    std::vector<zhibiao::v1::Warning>* warnings) {
  meta->set_salutation(structure.salutation);
  meta->set_signature(structure.signature);
  meta->set_speaker(structure.speaker_line);
  meta->set_source_url(hints.source_url());
  if (hints.ByteSizeLong() > 0) *meta->mutable_hints() = hints;
  if (auto d = FirstDate(structure.delivery_line)) meta->set_delivered_date(d->Iso());
  const DocumentKind kind = DeriveKind(structure, hints, warnings);
  meta->set_kind(kind);
  const auto [issuer, region] = DeriveIssuerAndRegion(structure, regions, hints, kind, warnings);
  meta->set_issuer(issuer);
  if (issuer.empty())
    Warn(warnings, "issuer_unresolved", "no issuer in the title, signature or body");
  SetRegion(structure, issuer, region, meta, warnings);
  DerivePublishedDate(structure, hints, meta, warnings);
  const int year = DeriveReportYear(structure, hints, kind, *meta, warnings);
  meta->set_report_year(year);

  // Title: the hint, else the text's. A bare genre name (政府工作报告) is
  // completed with the year and region the text gives, as the report is cited.
  std::string title = structure.title;
  if (kind == zhibiao::v1::DOCUMENT_KIND_GOVERNMENT_WORK_REPORT && region &&
      !region->name().empty() && (title == "政府工作报告" || title.empty()) && year != 0) {
    title = absl::StrCat(year + 1, "年", region->name(), "政府工作报告");
  }
  if (!hints.title().empty()) title = hints.title();
  meta->set_title(title);
}

}  // namespace zb::doc
