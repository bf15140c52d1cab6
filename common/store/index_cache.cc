#include "common/store/index_cache.h"

#include <algorithm>
#include <array>
#include <tuple>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace zb::store {
namespace {

constexpr uint8_t kTarget = 1;
constexpr uint8_t kDead = 2;

// Ids allowed by one repeated filter field; empty field = everything.
struct IdFilter {
  bool any = true;
  std::vector<bool> allowed;  // indexed by id
  bool Pass(uint32_t id) const { return any || (id < allowed.size() && allowed[id]); }
};

}  // namespace

uint32_t IndexCache::Interner::Intern(absl::string_view s) {
  auto it = ids_.find(s);
  if (it != ids_.end()) return it->second;
  const uint32_t id = static_cast<uint32_t>(strings_.size());
  strings_.emplace_back(s);
  ids_.emplace(std::string(s), id);
  return id;
}

int64_t IndexCache::Interner::Find(absl::string_view s) const {
  auto it = ids_.find(s);
  return it == ids_.end() ? -1 : static_cast<int64_t>(it->second);
}

void IndexCache::ApplyGroup(const std::vector<Change>& changes) {
  absl::MutexLock lock(&mu_);
  for (const Change& c : changes) {
    if (c.remove_report) {
      RemoveReportLocked(c.report_id);
    } else {
      AddLocked(c.key, c.value);
    }
  }
  CompactIfNeeded();
}

void IndexCache::Add(const IndicatorKeyParts& key, const IndexValue& value) {
  absl::MutexLock lock(&mu_);
  AddLocked(key, value);
}

void IndexCache::RemoveReport(absl::string_view report_id) {
  absl::MutexLock lock(&mu_);
  RemoveReportLocked(report_id);
  CompactIfNeeded();
}

void IndexCache::AddLocked(const IndicatorKeyParts& key, const IndexValue& value) {
  const uint32_t row = static_cast<uint32_t>(value_.size());
  metric_.push_back(metrics_.Intern(key.metric_key));
  region_.push_back(regions_.Intern(key.region));
  province_.push_back(regions_.Intern(value.province));
  unit_.push_back(units_.Intern(value.unit));
  subject_.push_back(subjects_.Intern(value.subject));
  const uint32_t report = reports_.Intern(key.report_id);
  report_.push_back(report);
  year_.push_back(key.year);
  qualifier_.push_back(value.qualifier);
  change_.push_back(value.change);
  unit_kind_.push_back(value.unit_kind);
  flags_.push_back(value.is_target ? kTarget : 0);
  value_.push_back(value.value);
  rows_of_report_[report].push_back(row);
}

void IndexCache::RemoveReportLocked(absl::string_view report_id) {
  const int64_t id = reports_.Find(report_id);
  if (id < 0) return;
  auto it = rows_of_report_.find(static_cast<uint32_t>(id));
  if (it == rows_of_report_.end()) return;
  for (uint32_t row : it->second) {
    if ((flags_[row] & kDead) == 0) {
      flags_[row] |= kDead;
      ++dead_;
    }
  }
  rows_of_report_.erase(it);
}

void IndexCache::CompactIfNeeded() {
  if (dead_ * 4 < static_cast<int64_t>(value_.size()) || value_.empty()) return;
  size_t out = 0;
  rows_of_report_.clear();
  for (size_t row = 0; row < value_.size(); ++row) {
    if (flags_[row] & kDead) continue;
    metric_[out] = metric_[row];
    region_[out] = region_[row];
    province_[out] = province_[row];
    unit_[out] = unit_[row];
    subject_[out] = subject_[row];
    report_[out] = report_[row];
    year_[out] = year_[row];
    qualifier_[out] = qualifier_[row];
    change_[out] = change_[row];
    unit_kind_[out] = unit_kind_[row];
    flags_[out] = flags_[row];
    value_[out] = value_[row];
    rows_of_report_[report_[out]].push_back(static_cast<uint32_t>(out));
    ++out;
  }
  for (auto* column : {&metric_, &region_, &province_, &unit_, &subject_, &report_}) column->resize(out);
  year_.resize(out);
  qualifier_.resize(out);
  change_.resize(out);
  unit_kind_.resize(out);
  flags_.resize(out);
  value_.resize(out);
  dead_ = 0;
}

int64_t IndexCache::live_entries() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(value_.size()) - dead_;
}

int64_t IndexCache::Aggregate(const zhibiao::v1::IndicatorFilter& filter,
                              const google::protobuf::RepeatedField<int>& group_by,
                              bool include_values,
                              std::vector<zhibiao::v1::PartialAggregate>* out) const {
  absl::ReaderMutexLock lock(&mu_);
  // Compile the filter into id sets once per query.
  auto compile = [](const Interner& interner, const auto& field) {
    IdFilter f;
    if (field.empty()) return f;
    f.any = false;
    f.allowed.assign(interner.size(), false);
    for (const auto& s : field) {
      const int64_t id = interner.Find(s);
      if (id >= 0) f.allowed[id] = true;
    }
    return f;
  };
  const IdFilter metrics = compile(metrics_, filter.metric_keys());
  const IdFilter regions = compile(regions_, filter.region_codes());
  const IdFilter provinces = compile(regions_, filter.province_codes());
  const IdFilter units = compile(units_, filter.units());
  const IdFilter reports = compile(reports_, filter.report_ids());
  IdFilter subjects;
  if (!filter.subject_contains().empty()) {
    subjects.any = false;
    subjects.allowed.resize(subjects_.size());
    for (uint32_t id = 0; id < subjects_.size(); ++id) {
      subjects.allowed[id] = absl::StrContains(subjects_.Get(id), filter.subject_contains());
    }
  }
  const absl::flat_hash_set<int32_t> years(filter.years().begin(), filter.years().end());
  const absl::flat_hash_set<int> qualifiers(filter.qualifiers().begin(), filter.qualifiers().end());

  // Group keys are ids: up to four dimensions and the unit.
  using GroupKey = std::array<uint32_t, 5>;
  struct Acc {
    int64_t count = 0;
    double sum = 0, min = 0, max = 0;
    uint8_t unit_kind = 0;
    std::vector<double> values;  // only with include_values
  };
  absl::flat_hash_map<GroupKey, Acc> groups;
  std::vector<zhibiao::v1::GroupBy> dims;
  for (int g : group_by) dims.push_back(static_cast<zhibiao::v1::GroupBy>(g));
  int64_t examined = 0;
  const size_t rows = value_.size();
  for (size_t row = 0; row < rows; ++row) {
    const uint8_t flags = flags_[row];
    if (flags & kDead) continue;
    ++examined;
    if (!metrics.Pass(metric_[row]) || !regions.Pass(region_[row]) ||
        !provinces.Pass(province_[row]) || !units.Pass(unit_[row]) ||
        !reports.Pass(report_[row]) || !subjects.Pass(subject_[row])) {
      continue;
    }
    if (!years.empty() && !years.contains(year_[row])) continue;
    if (!qualifiers.empty() && !qualifiers.contains(qualifier_[row])) continue;
    if (filter.exclude_targets() && (flags & kTarget)) continue;
    const bool is_change = change_[row] == zhibiao::v1::CHANGE_INCREASE ||
                           change_[row] == zhibiao::v1::CHANGE_DECREASE;
    if (filter.change() == zhibiao::v1::CHANGE_FILTER_LEVELS_ONLY && is_change) continue;
    if (filter.change() == zhibiao::v1::CHANGE_FILTER_CHANGES_ONLY && !is_change) continue;
    GroupKey key{};
    for (size_t d = 0; d < dims.size(); ++d) {
      switch (dims[d]) {
        case zhibiao::v1::GROUP_BY_METRIC: key[d] = metric_[row]; break;
        case zhibiao::v1::GROUP_BY_REGION: key[d] = region_[row]; break;
        case zhibiao::v1::GROUP_BY_PROVINCE: key[d] = province_[row]; break;
        case zhibiao::v1::GROUP_BY_YEAR: key[d] = year_[row]; break;
        case zhibiao::v1::GROUP_BY_SUBJECT: key[d] = subject_[row]; break;
        default: break;
      }
    }
    key[4] = unit_[row];
    const double v = value_[row];
    auto [it, inserted] = groups.try_emplace(key);
    Acc& acc = it->second;
    if (inserted) {
      acc.min = acc.max = v;
      acc.unit_kind = unit_kind_[row];
    } else {
      acc.min = std::min(acc.min, v);
      acc.max = std::max(acc.max, v);
    }
    ++acc.count;
    acc.sum += v;
    if (include_values) acc.values.push_back(v);
  }
  // Back to strings, sorted by (group values, unit).
  struct Named {
    std::vector<std::string> values;
    std::string unit;
    const Acc* acc;
  };
  std::vector<Named> named;
  named.reserve(groups.size());
  for (const auto& [key, acc] : groups) {
    Named n;
    for (size_t d = 0; d < dims.size(); ++d) {
      switch (dims[d]) {
        case zhibiao::v1::GROUP_BY_METRIC: n.values.push_back(metrics_.Get(key[d])); break;
        case zhibiao::v1::GROUP_BY_REGION:
        case zhibiao::v1::GROUP_BY_PROVINCE: n.values.push_back(regions_.Get(key[d])); break;
        case zhibiao::v1::GROUP_BY_YEAR: n.values.push_back(absl::StrCat(key[d])); break;
        case zhibiao::v1::GROUP_BY_SUBJECT: n.values.push_back(subjects_.Get(key[d])); break;
        default: n.values.emplace_back(); break;
      }
    }
    n.unit = units_.Get(key[4]);
    n.acc = &acc;
    named.push_back(std::move(n));
  }
  std::sort(named.begin(), named.end(), [](const Named& a, const Named& b) {
    return std::tie(a.values, a.unit) < std::tie(b.values, b.unit);
  });
  out->clear();
  out->reserve(named.size());
  for (const Named& n : named) {
    zhibiao::v1::PartialAggregate p;
    for (const std::string& v : n.values) p.add_group_values(v);
    p.set_unit(n.unit);
    p.set_unit_kind(static_cast<zhibiao::v1::UnitKind>(n.acc->unit_kind));
    p.set_count(n.acc->count);
    p.set_sum(n.acc->sum);
    p.set_min(n.acc->min);
    p.set_max(n.acc->max);
    if (include_values) {
      std::vector<double> sorted = n.acc->values;
      std::sort(sorted.begin(), sorted.end());
      p.mutable_values()->Add(sorted.begin(), sorted.end());
    }
    out->push_back(std::move(p));
  }
  return examined;
}

}  // namespace zb::store
