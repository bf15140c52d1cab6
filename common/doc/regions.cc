#include "common/doc/regions.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

extern const char kZbRegionsTsv[];  // generated from data/regions.tsv

namespace zb::doc {

const RegionTable& RegionTable::Default() {
  static const RegionTable* table = new RegionTable(kZbRegionsTsv);
  return *table;
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
    by_name_[e.name].push_back(entries_.size());
    max_name_bytes_ = std::max(max_name_bytes_, e.name.size());
    entries_.push_back(std::move(e));
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

std::optional<zhibiao::v1::Region> RegionTable::ResolvePrefix(absl::string_view text) const {
  // Walk the text, matching the longest region name at each position; each
  // later match must lie below the previous one (省 → 市 → 县).
  const Entry* resolved = nullptr;
  size_t pos = 0;
  while (pos < text.size()) {
    const Entry* best = nullptr;
    size_t best_len = 0;
    const size_t max_len = std::min(max_name_bytes_, text.size() - pos);
    for (size_t len = max_len; len >= 6; --len) {  // at least two CJK characters
      auto it = by_name_.find(std::string(text.substr(pos, len)));
      if (it == by_name_.end()) continue;
      const Entry* unique = nullptr;
      int candidates = 0;
      for (size_t index : it->second) {
        const Entry& e = entries_[index];
        if (resolved != nullptr && !IsAncestor(resolved->code, e)) continue;
        unique = &e;
        ++candidates;
      }
      if (candidates == 1) {
        best = unique;
        best_len = len;
        break;
      }
      if (candidates > 1) return resolved ? std::optional(ToRegion(*resolved)) : std::nullopt;
    }
    if (best == nullptr) break;
    resolved = best;
    pos += best_len;
  }
  if (resolved == nullptr) return std::nullopt;
  return ToRegion(*resolved);
}

std::vector<zhibiao::v1::Region> RegionTable::AtLevel(zhibiao::v1::RegionLevel level) const {
  std::vector<zhibiao::v1::Region> out;
  for (const Entry& e : entries_) {
    if (e.level == static_cast<int>(level)) out.push_back(ToRegion(e));
  }
  return out;
}

}  // namespace zb::doc
