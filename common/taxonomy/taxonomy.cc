#include "common/taxonomy/taxonomy.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/extract/quantities.h"

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

int64_t CodePoints(absl::string_view s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

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
  t.version_ = version == root.fields().end() ? 0 : static_cast<int>(version->second.number_value());
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
      if (e.key.empty() || t.by_key_.contains(e.key)) {
        return absl::InvalidArgumentError(absl::StrCat("taxonomy key \"", e.key, "\" is empty or repeated"));
      }
      t.by_key_[e.key] = t.entries_.size();
      t.entries_.push_back(std::move(e));
    }
  }
  return t;
}

const Entry* Taxonomy::Find(absl::string_view key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : &entries_[it->second];
}

bool Taxonomy::UnitFits(const Entry& e, const FigureContext& f) const {
  const bool listed = std::find(e.units.begin(), e.units.end(), std::string(f.unit)) != e.units.end() ||
                      std::find(e.units.begin(), e.units.end(), std::string(f.unit_written)) != e.units.end();
  switch (f.kind) {
    case zhibiao::v1::UNIT_KIND_PERCENT:
      // A percentage is a rate key's value, or the relative change of a count or money key.
      return e.unit_kind == "percent" || (f.is_change && (e.unit_kind == "count" || e.unit_kind == "currency_cny"));
    case zhibiao::v1::UNIT_KIND_PERCENT_POINT:
      return e.unit_kind == "percent";
    case zhibiao::v1::UNIT_KIND_CURRENCY_CNY:
      return e.unit_kind == "currency_cny";
    case zhibiao::v1::UNIT_KIND_DURATION:
      return (e.unit_kind == "duration" || e.unit_kind == "average") && listed;
    case zhibiao::v1::UNIT_KIND_COUNT:
      return (e.unit_kind == "count" || e.unit_kind == "average") && listed;
    default:
      return (e.unit_kind == "score" || e.unit_kind == "average") && listed;
  }
}

std::string Taxonomy::Map(const FigureContext& f) const {
  const Entry* best = nullptr;
  int64_t best_distance = 0;
  size_t best_length = 0;
  for (const Entry& e : entries_) {
    if (!UnitFits(e, f)) continue;
    if (!e.requires_any.empty() && !ContainsAny(f.sentence, e.requires_any) &&
        !ContainsAny(f.headings, e.requires_any)) {
      continue;
    }
    if (ContainsAny(f.before, e.excludes_any)) continue;
    for (const std::string& p : e.patterns) {
      int64_t distance = -1;
      const size_t at = f.before.rfind(p);
      if (at != absl::string_view::npos) {
        distance = CodePoints(f.before.substr(at + p.size()));
      } else {
        const size_t after = f.after.find(p);
        // In enumerations the noun follows the figure (12个公共法律服务中心、134个公共法律服务站):
        // a cue right after the unit is nearer than the previous item's noun before it.
        if (after != absl::string_view::npos) distance = CodePoints(f.after.substr(0, after));
      }
      if (distance < 0) continue;
      if (best == nullptr || distance < best_distance ||
          (distance == best_distance && p.size() > best_length)) {
        best = &e;
        best_distance = distance;
        best_length = p.size();
      }
    }
  }
  return best == nullptr ? "" : best->key;
}

void AssignMetricKeys(const Taxonomy& taxonomy, absl::string_view normalized_text,
                      const std::vector<zhibiao::v1::Section>& sections,
                      std::vector<zhibiao::v1::Indicator>* indicators) {
  const extract::CodePointText t(normalized_text);
  std::map<std::string, const zhibiao::v1::Section*> by_id;
  for (const auto& s : sections) by_id[s.section_id()] = &s;
  for (auto& ind : *indicators) {
    // Sentence bounds around the figure.
    int64_t sentence_begin = ind.char_begin();
    while (sentence_begin > 0 && t.at(sentence_begin - 1) != U'。' && t.at(sentence_begin - 1) != '\n' &&
           t.at(sentence_begin - 1) != ';') {
      --sentence_begin;
    }
    int64_t sentence_end = ind.char_end();
    while (sentence_end < t.size() && t.at(sentence_end) != U'。' && t.at(sentence_end) != '\n' &&
           t.at(sentence_end) != ';') {
      ++sentence_end;
    }
    const int64_t before_begin = std::max(sentence_begin, ind.char_begin() - 40);
    int64_t after_end = ind.char_end();
    while (after_end < sentence_end && after_end - ind.char_end() < 10 && !IsBreak(t.at(after_end))) {
      ++after_end;
    }
    std::string headings;
    for (std::string id = ind.section_id(); !id.empty();) {
      auto it = by_id.find(id);
      if (it == by_id.end()) break;
      absl::StrAppend(&headings, it->second->heading(), "|");
      id = it->second->parent_id();
    }
    FigureContext f;
    f.before = t.Slice(before_begin, ind.char_begin());
    f.after = t.Slice(ind.char_end(), after_end);
    f.sentence = t.Slice(sentence_begin, sentence_end);
    f.headings = headings;
    f.unit = ind.quantity().unit();
    f.unit_written = ind.quantity().unit_written();
    f.kind = ind.quantity().kind();
    f.is_change = ind.change() == zhibiao::v1::CHANGE_INCREASE ||
                  ind.change() == zhibiao::v1::CHANGE_DECREASE;
    ind.set_metric_key(taxonomy.Map(f));
  }
}

}  // namespace zb::taxonomy
