#include "common/taxonomy/taxonomy.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/extract/quantities.h"
#include "common/text/normalize.h"
#include "common/text/numerals.h"

extern const char kZbTaxonomyJson[];  // generated from data/taxonomy.json

namespace zb::taxonomy {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

std::string Str(const Struct& s, const char* key) {
  auto it = s.fields().find(key);
  return it == s.fields().end() ? "" : it->second.string_value();
}

std::vector<std::string> List(const Struct& s, const char* key) {
  std::vector<std::string> out;
  auto it = s.fields().find(key);
  if (it == s.fields().end()) return out;
  for (const Value& v : it->second.list_value().values()) out.push_back(v.string_value());
  return out;
}

bool ContainsAny(absl::string_view text, const std::vector<std::string>& words) {
  for (const std::string& w : words) {
    if (absl::StrContains(text, w)) return true;
  }
  return false;
}

bool IsClauseBreak(char32_t c) {
  return c == ',' || c == ';' || c == ':' || c == U'。' || c == '\n';
}
// A clause of at most this many code points before its figure (同比增长) names
// nothing; its figure is mapped from the sentence before it.
constexpr int64_t kClauseNamingNothing = 6;

bool IsBreak(char32_t c) {
  return c == U'。' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == U'、' ||
         c == '\n';
}

}  // namespace

const Taxonomy& Taxonomy::Default() {
  static const Taxonomy* taxonomy = [] {
    absl::StatusOr<Taxonomy> parsed = Parse(kZbTaxonomyJson);
    // The file is compiled in and tested; a parse failure is a build defect.
    return new Taxonomy(parsed.ok() ? *std::move(parsed) : Taxonomy());
  }();
  return *taxonomy;
}

absl::StatusOr<Taxonomy> Taxonomy::Parse(absl::string_view json) {
  Struct root;
  auto status = google::protobuf::util::JsonStringToMessage(std::string(json), &root);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("taxonomy is not JSON: ", status.ToString()));
  }
  Taxonomy t;
  auto version = root.fields().find("version");
  t.version_ =
      version == root.fields().end() ? 0 : static_cast<int>(version->second.number_value());
  auto areas = root.fields().find("areas");
  if (areas == root.fields().end()) return absl::InvalidArgumentError("taxonomy has no areas");
  for (const Value& area : areas->second.list_value().values()) {
    const Struct& a = area.struct_value();
    auto indicators = a.fields().find("indicators");
    if (indicators == a.fields().end()) continue;
    for (const Value& v : indicators->second.list_value().values()) {
      const Struct& s = v.struct_value();
      Entry e;
      e.key = Str(s, "key");
      e.name_zh = Str(s, "name_zh");
      e.area = Str(a, "key");
      e.unit_kind = Str(s, "unit_kind");
      e.units = List(s, "units");
      e.patterns = List(s, "patterns");
      e.requires_any = List(s, "requires_any");
      e.excludes_any = List(s, "excludes_any");
      auto additive = s.fields().find("additive");
      e.additive = additive != s.fields().end() && additive->second.bool_value();
      e.aggregate = Str(s, "aggregate");
      e.temporal = Str(s, "temporal");
      e.weight_key = Str(s, "weight_key");
      if (e.key.empty() || t.by_key_.contains(e.key)) {
        return absl::InvalidArgumentError(
            absl::StrCat("taxonomy key \"", e.key, "\" is empty or repeated"));
      }
      t.by_key_[e.key] = t.entries_.size();
      for (const std::string& pattern : e.patterns) {
        if (pattern.empty()) continue;
        size_t i = 0;
        const char32_t first = text::NextCodePoint(pattern, &i);
        t.cues_by_first_char_[first].push_back(
            {pattern, text::CodePointCount(pattern), t.entries_.size()});
      }
      t.entries_.push_back(std::move(e));
    }
  }
  for (const Entry& e : t.entries_) {
    if (!e.weight_key.empty() && !t.by_key_.contains(e.weight_key)) {
      return absl::InvalidArgumentError(absl::StrCat("taxonomy key \"", e.key, "\" weighs by \"",
                                                     e.weight_key, "\", which is not a key"));
    }
  }
  return t;
}

const Entry* Taxonomy::Find(absl::string_view key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : &entries_[it->second];
}

namespace {

// Keys whose figures can change by a ratio (增长5%, 增长2.5倍): counts, money,
// physical measures and averages; not rates, whose changes are in points.
bool IsRelativeChangeKind(absl::string_view unit_kind) {
  return unit_kind == "count" || unit_kind == "currency_cny" || unit_kind == "measure" ||
         unit_kind == "average";
}

}  // namespace

bool Taxonomy::UnitFits(const Entry& e, const FigureContext& f) const {
  bool listed = false;
  for (const std::string& u : e.units) listed = listed || u == f.unit || u == f.unit_written;
  switch (f.kind) {
    case zhibiao::v1::UNIT_KIND_PERCENT:
      // A percentage is a rate key's value, or the relative change of a count,
      // money or physical-measure key (粮食产量增长2%).
      return e.unit_kind == "percent" || (f.is_change && IsRelativeChangeKind(e.unit_kind));
    case zhibiao::v1::UNIT_KIND_PERCENT_POINT: return e.unit_kind == "percent";
    case zhibiao::v1::UNIT_KIND_CURRENCY_CNY: return e.unit_kind == "currency_cny";
    case zhibiao::v1::UNIT_KIND_DURATION:
      return (e.unit_kind == "duration" || e.unit_kind == "average") && listed;
    case zhibiao::v1::UNIT_KIND_COUNT:
      return (e.unit_kind == "count" || e.unit_kind == "average") && listed;
    case zhibiao::v1::UNIT_KIND_OTHER:
      // 增长2.5倍 is a relative change, as a percentage is.
      if (f.unit == "倍" && f.is_change) return IsRelativeChangeKind(e.unit_kind);
      // Physical measures (吨, 千瓦, 平方公里, 微克/立方米, 美元) fit only in the units listed.
      return (e.unit_kind == "measure" || e.unit_kind == "score" || e.unit_kind == "average") &&
             listed;
    default: return (e.unit_kind == "score" || e.unit_kind == "average") && listed;
  }
}

bool Taxonomy::Admissible(const Entry& e, const FigureContext& f) const {
  if (!UnitFits(e, f)) return false;
  if (!e.requires_any.empty() && !ContainsAny(f.sentence, e.requires_any) &&
      !ContainsAny(f.headings, e.requires_any)) {
    return false;
  }
  return !ContainsAny(f.before, e.excludes_any);
}

std::string Taxonomy::Map(const FigureContext& f) const {
  // Every cue occurrence in the window, found through the first-character
  // index; then the nearest (and longest) cue of an admissible entry wins.
  struct Hit {
    int64_t distance;
    size_t length;
    size_t entry;
  };
  std::vector<Hit> hits;
  hits.reserve(16);
  auto scan = [&](absl::string_view window, bool before) {
    const int64_t total = text::CodePointCount(window);
    int64_t cp = 0;
    for (size_t i = 0; i < window.size(); ++cp) {
      const size_t start = i;
      const char32_t c = text::NextCodePoint(window, &i);
      auto it = cues_by_first_char_.find(c);
      if (it == cues_by_first_char_.end()) continue;
      for (const Cue& cue : it->second) {
        if (!absl::StartsWith(window.substr(start), cue.pattern)) continue;
        // Before the figure: code points between the cue's end and the figure.
        // After it (12个公共法律服务中心): code points between the unit and the cue.
        const int64_t distance = before ? total - cp - cue.code_points : cp;
        hits.push_back({distance, cue.pattern.size(), cue.entry});
      }
    }
  };
  scan(f.before, true);
  scan(f.after, false);
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    return a.distance != b.distance ? a.distance < b.distance : a.length > b.length;
  });
  for (const Hit& hit : hits) {
    if (Admissible(entries_[hit.entry], f)) return entries_[hit.entry].key;
  }
  return "";
}

void AssignMetricKeys(const Taxonomy& taxonomy, absl::string_view normalized_text,
                      const std::vector<zhibiao::v1::Section>& sections,
                      std::vector<zhibiao::v1::Indicator>* indicators) {
  AssignMetricKeys(taxonomy, extract::CodePointText(normalized_text), sections, indicators);
}

namespace {

// Headings of each section and its ancestors, joined once per section.
std::map<std::string, std::string> HeadingsOfSections(
    const std::vector<zhibiao::v1::Section>& sections) {
  std::map<std::string, const zhibiao::v1::Section*> by_id;
  for (const auto& s : sections) by_id[s.section_id()] = &s;
  std::map<std::string, std::string> headings_of;
  for (const auto& s : sections) {
    std::string& headings = headings_of[s.section_id()];
    for (std::string id = s.section_id(); !id.empty();) {
      auto it = by_id.find(id);
      if (it == by_id.end()) break;
      absl::StrAppend(&headings, it->second->heading(), "|");
      id = it->second->parent_id();
    }
  }
  return headings_of;
}

// The words around an indicator's figure the taxonomy's cues are matched
// in: up to 40 code points before it, 10 after, its sentence (cut
// kSentenceReach code points away: real sentences are far shorter, and a
// text without full stops must not make this quadratic) and its headings.
// `before_begin` gets where the words before it start.
FigureContext ContextOf(const extract::CodePointText& t, const zhibiao::v1::Indicator& ind,
                        const std::map<std::string, std::string>& headings_of,
                        int64_t* before_begin_out) {
  constexpr int64_t kSentenceReach = 512;
  int64_t sentence_begin = ind.char_begin();
  const int64_t reach_begin = std::max<int64_t>(0, ind.char_begin() - kSentenceReach);
  while (sentence_begin > reach_begin && t.at(sentence_begin - 1) != U'。' &&
         t.at(sentence_begin - 1) != '\n' && t.at(sentence_begin - 1) != ';') {
    --sentence_begin;
  }
  int64_t sentence_end = ind.char_end();
  const int64_t reach_end = std::min<int64_t>(t.size(), ind.char_end() + kSentenceReach);
  while (sentence_end < reach_end && t.at(sentence_end) != U'。' && t.at(sentence_end) != '\n' &&
         t.at(sentence_end) != ';') {
    ++sentence_end;
  }
  const int64_t before_begin = std::max(sentence_begin, ind.char_begin() - 40);
  int64_t after_end = ind.char_end();
  while (after_end < sentence_end && after_end - ind.char_end() < 10 && !IsBreak(t.at(after_end))) {
    ++after_end;
  }
  auto headings = headings_of.find(ind.section_id());
  FigureContext f;
  f.before = t.Slice(before_begin, ind.char_begin());
  f.after = t.Slice(ind.char_end(), after_end);
  f.sentence = t.Slice(sentence_begin, sentence_end);
  if (headings != headings_of.end()) f.headings = headings->second;
  f.unit = ind.quantity().unit();
  f.unit_written = ind.quantity().unit_written();
  f.kind = ind.quantity().kind();
  f.is_change =
      ind.change() == zhibiao::v1::CHANGE_INCREASE || ind.change() == zhibiao::v1::CHANGE_DECREASE;
  *before_begin_out = before_begin;
  return f;
}

// Whether indicators x and y share a figure or y follows x as the next item
// of an enumeration (A、B分别增长x、y; A率、B率均达100%).
bool SameEnumeration(const extract::CodePointText& t, const zhibiao::v1::Indicator& x,
                     const zhibiao::v1::Indicator& y) {
  if (x.char_begin() == y.char_begin()) return true;
  if (x.char_end() > y.char_begin() || y.char_begin() - x.char_end() > 2) return false;
  const absl::string_view gap = t.Slice(x.char_end(), y.char_begin());
  return gap == "、" || gap == "和" || gap == "与" || gap == "及";
}

// The metric key of one indicator. An item of an enumeration is mapped from
// its own subject first (the nearest words are the last item's), with no
// fallback. Then the figure's own clause: a cue in an earlier clause of the
// sentence (高速公路…, 西安地铁运营里程422公里) measures something else; only a
// clause that names nothing itself (同比增长5%, or a comparison: 较上年增长,
// 比2020年下降) looks further back.
std::string MetricKeyOf(const Taxonomy& taxonomy, const extract::CodePointText& t,
                        const zhibiao::v1::Indicator& ind, const FigureContext& f,
                        int64_t before_begin, bool item) {
  if ((item || absl::StrContains(f.before, "分别")) && !ind.subject().empty()) {
    FigureContext own = f;
    own.before = ind.subject();
    std::string key = taxonomy.Map(own);
    if (!key.empty() || item) return key;
  }
  int64_t clause_begin = ind.char_begin();
  while (clause_begin > before_begin && !IsClauseBreak(t.at(clause_begin - 1))) --clause_begin;
  if (clause_begin > before_begin) {
    FigureContext own = f;
    own.before = t.Slice(clause_begin, ind.char_begin());
    std::string key = taxonomy.Map(own);
    const bool comparison = t.at(clause_begin) == U'较' || t.at(clause_begin) == U'比';
    if (!key.empty() || (ind.char_begin() - clause_begin > kClauseNamingNothing && !comparison)) {
      return key;
    }
  }
  return taxonomy.Map(f);
}

}  // namespace

void AssignMetricKeys(const Taxonomy& taxonomy, const extract::CodePointText& t,
                      const std::vector<zhibiao::v1::Section>& sections,
                      std::vector<zhibiao::v1::Indicator>* indicators) {
  const std::map<std::string, std::string> headings_of = HeadingsOfSections(sections);
  std::vector<zhibiao::v1::Indicator>& all = *indicators;
  for (size_t i = 0; i < all.size(); ++i) {
    int64_t before_begin = 0;
    const FigureContext f = ContextOf(t, all[i], headings_of, &before_begin);
    const bool item = (i > 0 && SameEnumeration(t, all[i - 1], all[i])) ||
                      (i + 1 < all.size() && SameEnumeration(t, all[i], all[i + 1]));
    all[i].set_metric_key(MetricKeyOf(taxonomy, t, all[i], f, before_begin, item));
  }
}

}  // namespace zb::taxonomy
