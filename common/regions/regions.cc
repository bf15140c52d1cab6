#include "common/regions/regions.h"

#include <algorithm>
#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

extern const char kZbRegionsTsv[];  // generated from data/regions.tsv

namespace zb::regions {

const RegionTable& RegionTable::Default() {
  static const RegionTable* table = new RegionTable(kZbRegionsTsv);
  return *table;
}

namespace {

// Ethnic groups named in autonomous regions' names, for their short forms
// (延边朝鲜族自治州 → 延边州). Groups of two characters and more.
constexpr absl::string_view kEthnicNames[] = {
    "朝鲜族", "土家族", "苗族",   "藏族",     "彝族",      "壮族",     "回族",   "蒙古族",
    "蒙古",   "维吾尔", "哈萨克", "傣族",     "白族",      "布依族",   "侗族",   "哈尼族",
    "傈僳族", "景颇族", "羌族",   "黎族",     "畲族",      "瑶族",     "仡佬族", "水族",
    "纳西族", "拉祜族", "佤族",   "柯尔克孜", "达斡尔族",  "鄂温克族", "鄂温克", "鄂伦春",
    "锡伯族", "满族",   "撒拉族", "保安族",   "东乡族",    "裕固族",   "土族",   "塔吉克",
    "毛南族", "仫佬族", "各族",   "普米族",   "怒族",      "独龙族",   "阿昌族", "德昂族",
    "布朗族", "基诺族", "京族",   "哈萨克族", "蒙古族藏族"};

// The place part of an autonomous region's name: the characters before its
// first ethnic group ("恩施土家族苗族自治州" → "恩施"), or "".
std::string PlaceBeforeEthnicGroup(absl::string_view name) {
  size_t first = absl::string_view::npos;
  for (absl::string_view group : kEthnicNames) {
    const size_t at = name.find(group);
    if (at != absl::string_view::npos && at < first) first = at;
  }
  if (first == absl::string_view::npos || first < 6) return "";
  return std::string(name.substr(0, first));
}

}  // namespace

void RegionTable::AddName(std::string name, size_t index, Form form) {
  if (name.size() < 6) return;  // two CJK characters at least
  auto& refs = by_name_[name];
  for (const NameRef& r : refs) {
    if (r.index == index) return;
  }
  refs.push_back({index, form});
  max_name_bytes_ = std::max(max_name_bytes_, name.size());
  std::vector<size_t>& lengths = name_lengths_by_prefix_[name.substr(0, 6)];
  if (std::find(lengths.begin(), lengths.end(), name.size()) == lengths.end()) {
    lengths.insert(
        std::upper_bound(lengths.begin(), lengths.end(), name.size(), std::greater<size_t>()),
        name.size());
  }
}

const std::vector<size_t>& RegionTable::NameLengthsAt(absl::string_view text, size_t pos) const {
  static const std::vector<size_t> kNone;
  if (text.size() - pos < 6) return kNone;
  auto it = name_lengths_by_prefix_.find(text.substr(pos, 6));
  return it == name_lengths_by_prefix_.end() ? kNone : it->second;
}

RegionTable::RegionTable(absl::string_view tsv) {
  for (absl::string_view line : absl::StrSplit(tsv, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
    if (f.size() < 4) continue;
    Entry e;
    e.code = std::string(f[0]);
    e.name = std::string(f[1]);
    if (!absl::SimpleAtoi(f[2], &e.level)) continue;
    e.parent = std::string(f[3]);
    by_code_[e.code] = entries_.size();
    entries_.push_back(std::move(e));
  }
  for (size_t index = 0; index < entries_.size(); ++index) {
    const Entry& e = entries_[index];
    AddName(e.name, index, Form::kFull);
    absl::string_view name = e.name;
    if (e.level == 1) {
      for (absl::string_view suffix : {"特别行政区", "自治区", "省", "市"}) {
        absl::string_view place = name;
        if (!absl::ConsumeSuffix(&place, suffix)) continue;
        const std::string ethnic_free = PlaceBeforeEthnicGroup(place);
        AddName(ethnic_free.empty() ? std::string(place) : ethnic_free, index, Form::kStrong);
        break;
      }
      continue;
    }
    bool autonomous = false;
    for (absl::string_view suffix : {"自治州", "自治县", "自治旗"}) {
      absl::string_view base = name;
      if (!absl::ConsumeSuffix(&base, suffix)) continue;
      autonomous = true;
      const std::string place = PlaceBeforeEthnicGroup(base);
      if (place.empty()) break;
      // 延边州, 长阳县, 鄂伦春旗; and 延边, 长阳 before a government word.
      AddName(absl::StrCat(place, suffix.substr(suffix.size() - 3)), index, Form::kStrong);
      AddName(place, index, Form::kWeak);
      break;
    }
    if (autonomous) continue;
    for (absl::string_view suffix : {"地区", "市", "县", "盟"}) {
      absl::string_view place = name;
      if (absl::ConsumeSuffix(&place, suffix)) {
        AddName(std::string(place), index, Form::kWeak);
        break;
      }
    }
  }
}

zhibiao::v1::Region RegionTable::ToRegion(const Entry& e) const {
  zhibiao::v1::Region r;
  r.set_name(e.name);
  r.set_code(e.code);
  r.set_level(static_cast<zhibiao::v1::RegionLevel>(e.level));
  // At most four levels up: a table row whose parent chain loops (a code
  // that names itself as parent) must not hang the lookup.
  const Entry* p = &e;
  for (int hops = 0; hops < 4 && p->level > 1 && !p->parent.empty(); ++hops) {
    auto it = by_code_.find(p->parent);
    if (it == by_code_.end()) break;
    p = &entries_[it->second];
  }
  if (p->level == 1) {
    r.set_province(p->name);
    r.set_province_code(p->code);
  }
  return r;
}

bool RegionTable::IsAncestor(const std::string& ancestor, const Entry& e) const {
  const Entry* p = &e;
  for (int hops = 0; hops < 4 && !p->parent.empty(); ++hops) {
    if (p->parent == ancestor) return true;
    auto it = by_code_.find(p->parent);
    if (it == by_code_.end()) return false;
    p = &entries_[it->second];
  }
  return false;
}

std::optional<zhibiao::v1::Region> RegionTable::FindByCode(absl::string_view code) const {
  auto it = by_code_.find(std::string(code));
  if (it == by_code_.end()) return std::nullopt;
  return ToRegion(entries_[it->second]);
}

bool RegionTable::WeakNameFits(absl::string_view text, size_t end) {
  absl::string_view after = text.substr(end);
  if (!after.empty() && absl::ascii_isdigit(after.front())) return true;
  for (absl::string_view word : {"人民政府", "政府", "市委", "县委", "州委", "党委", "国民经济",
                                 "统计局", "司法局", "法治政府"}) {
    if (absl::StartsWith(after, word)) return true;
  }
  return false;
}

bool RegionTable::IsAncestorCode(absl::string_view ancestor, absl::string_view code) const {
  auto it = by_code_.find(code);
  return it != by_code_.end() && IsAncestor(std::string(ancestor), entries_[it->second]);
}

std::string RegionTable::Disambiguate(const std::vector<std::string>& codes,
                                      const RegionCodeSet& context) const {
  std::string chosen;
  for (const std::string& code : codes) {
    bool fits = context.contains(code);
    for (const std::string& other : context) {
      fits = fits || IsAncestorCode(other, code);
    }
    if (!fits) continue;
    if (!chosen.empty()) return "";
    chosen = code;
  }
  return chosen;
}

std::optional<zhibiao::v1::Region> RegionTable::ResolvePrefix(absl::string_view text,
                                                              const RegionCodeSet* context) const {
  // Walk the text, matching the longest region name at each position; each
  // later match must lie below the previous one (省 → 市 → 县).
  const Entry* resolved = nullptr;
  size_t pos = 0;
  while (pos < text.size()) {
    const Entry* best = nullptr;
    size_t best_len = 0;
    bool ambiguous = false;
    for (const size_t len : NameLengthsAt(text, pos)) {
      if (best != nullptr || ambiguous) break;
      if (len > text.size() - pos) continue;
      auto it = by_name_.find(text.substr(pos, len));
      if (it == by_name_.end()) continue;
      // The strongest form the name has decides which candidates count.
      Form strongest = Form::kWeak;
      for (const NameRef& ref : it->second) strongest = std::min(strongest, ref.form);
      if (strongest == Form::kWeak && !WeakNameFits(text, pos + len)) continue;
      std::vector<const Entry*> candidates;
      for (const NameRef& ref : it->second) {
        if (ref.form != strongest) continue;
        const Entry& e = entries_[ref.index];
        if (resolved != nullptr && !IsAncestor(resolved->code, e)) continue;
        candidates.push_back(&e);
      }
      if (candidates.size() > 1 && context != nullptr) {
        std::vector<std::string> codes;
        for (const Entry* e : candidates) codes.push_back(e->code);
        const std::string chosen = Disambiguate(codes, *context);
        if (!chosen.empty()) candidates = {&entries_[by_code_.at(chosen)]};
      }
      if (candidates.size() == 1) {
        best = candidates.front();
        best_len = len;
      } else if (candidates.size() > 1) {
        ambiguous = true;
      }
    }
    if (best == nullptr) break;
    resolved = best;
    pos += best_len;
  }
  if (resolved == nullptr) return std::nullopt;
  return ToRegion(*resolved);
}

std::vector<RegionMention> RegionTable::FindMentions(absl::string_view text) const {
  std::vector<RegionMention> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t matched = 0;
    for (const size_t len : NameLengthsAt(text, pos)) {
      if (len > text.size() - pos) continue;
      auto it = by_name_.find(text.substr(pos, len));
      if (it == by_name_.end()) continue;
      Form strongest = Form::kWeak;
      for (const NameRef& ref : it->second) strongest = std::min(strongest, ref.form);
      if (strongest == Form::kWeak && !WeakNameFits(text, pos + len)) continue;
      RegionMention m;
      m.offset = pos;
      m.length = len;
      m.short_form = strongest != Form::kFull;
      for (const NameRef& ref : it->second) {
        if (ref.form == strongest) m.codes.push_back(entries_[ref.index].code);
      }
      out.push_back(std::move(m));
      matched = len;
      break;
    }
    if (matched > 0) {
      pos += matched;
      continue;
    }
    // Next code point.
    ++pos;
    while (pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) ++pos;
  }
  return out;
}

std::string RegionTable::NameOf(absl::string_view code) const {
  auto it = by_code_.find(code);
  return it == by_code_.end() ? std::string() : entries_[it->second].name;
}

std::vector<zhibiao::v1::Region> RegionTable::AtLevel(zhibiao::v1::RegionLevel level) const {
  std::vector<zhibiao::v1::Region> out;
  for (const Entry& e : entries_) {
    if (e.level == static_cast<int>(level)) out.push_back(ToRegion(e));
  }
  return out;
}

}  // namespace zb::regions
