#include "common/store/index_cache.h"

#include <algorithm>
#include <array>
#include <optional>
#include <tuple>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace zb::store {
namespace {

constexpr uint8_t kTarget = 1;
constexpr uint8_t kDead = 2;
constexpr uint8_t kSuperseded = 4;
// Superseded by a later report of the same document kind: what a query with
// a document kind filter goes by (a 统计公报 does not supersede a 政府工作报告
// for someone who asks for work reports).
constexpr uint8_t kSupersededInKind = 8;
// A total of several years (IndexValue.period_total).
constexpr uint8_t kPeriodTotal = 16;

// "2022-02-25" as 20220225; 0 when it is not such a date.
int32_t ParsePublishedDate(absl::string_view date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return 0;
  int32_t out = 0;
  for (size_t i = 0; i < date.size(); ++i) {
    if (i == 4 || i == 7) continue;
    if (date[i] < '0' || date[i] > '9') return 0;
    out = out * 10 + (date[i] - '0');
  }
  return out;
}

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
    switch (c.kind) {
      case Change::Kind::kRemoveReport: RemoveReportLocked(c.report_id); break;
      case Change::Kind::kReportInfo:
        SetReportInfoLocked(c.report_id, c.published_date, c.ingested_at_unix_ms);
        break;
      case Change::Kind::kAddEntry: AddLocked(c.key, c.value); break;
      case Change::Kind::kArriving:
        arriving_[reports_.Intern(c.report_id)] = std::string(c.replaces_report_id);
        break;
      case Change::Kind::kSettle: {
        const int64_t id = reports_.Find(c.report_id);
        if (id >= 0) arriving_.erase(static_cast<uint32_t>(id));
        break;
      }
    }
  }
  SettleDirtyCells();
  CompactIfNeeded();
  if (!changes.empty()) ++generation_;  // a group of no-ops changes no answer
}

uint64_t IndexCache::generation() const {
  absl::ReaderMutexLock lock(&mu_);
  return generation_;
}

void IndexCache::SetReportInfo(absl::string_view report_id, absl::string_view published_date,
                               int64_t ingested_at_unix_ms) {
  absl::MutexLock lock(&mu_);
  SetReportInfoLocked(report_id, published_date, ingested_at_unix_ms);
}

void IndexCache::Add(const IndicatorKeyParts& key, const IndexValue& value) {
  absl::MutexLock lock(&mu_);
  AddLocked(key, value);
}

void IndexCache::SetArriving(absl::string_view report_id, absl::string_view replaces_report_id) {
  absl::MutexLock lock(&mu_);
  arriving_[reports_.Intern(report_id)] = std::string(replaces_report_id);
}

std::vector<zhibiao::v1::ArrivingReport> IndexCache::Arriving() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<zhibiao::v1::ArrivingReport> out;
  for (const auto& [report, replaces] : arriving_) {
    zhibiao::v1::ArrivingReport a;
    a.set_report_id(reports_.Get(report));
    a.set_replaces_report_id(replaces);
    out.push_back(std::move(a));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.report_id() < b.report_id(); });
  return out;
}

std::optional<std::string> IndexCache::ArrivingMarkOf(absl::string_view report_id) const {
  absl::ReaderMutexLock lock(&mu_);
  const int64_t id = reports_.Find(report_id);
  if (id < 0) return std::nullopt;
  auto it = arriving_.find(static_cast<uint32_t>(id));
  if (it == arriving_.end()) return std::nullopt;
  return it->second;
}

void IndexCache::FinishLoad() {
  absl::MutexLock lock(&mu_);
  SettleDirtyCells();
}

void IndexCache::SetReportInfoLocked(absl::string_view report_id, absl::string_view published_date,
                                     int64_t ingested_at_unix_ms) {
  const uint32_t report = reports_.Intern(report_id);
  if (report_info_.size() <= report) report_info_.resize(report + 1);
  ReportInfo& info = report_info_[report];
  info.published = ParsePublishedDate(published_date);
  info.ingested_at_unix_ms = ingested_at_unix_ms;
}

void IndexCache::AddLocked(const IndicatorKeyParts& key, const IndexValue& value) {
  const uint32_t row = static_cast<uint32_t>(value_.size());
  const uint32_t metric = metrics_.Intern(key.metric_key);
  const uint32_t region = regions_.Intern(key.region);
  metric_.push_back(metric);
  region_.push_back(region);
  province_.push_back(regions_.Intern(value.province));
  unit_.push_back(units_.Intern(value.unit));
  subject_.push_back(subjects_.Intern(value.subject));
  const uint32_t report = reports_.Intern(key.report_id);
  if (report_info_.size() <= report) report_info_.resize(report + 1);
  report_.push_back(report);
  year_.push_back(key.year);
  period_end_.push_back(value.period_end != 0 ? value.period_end : key.year);
  document_kind_.push_back(value.document_kind);
  qualifier_.push_back(value.qualifier);
  change_.push_back(value.change);
  unit_kind_.push_back(value.unit_kind);
  flags_.push_back(static_cast<uint8_t>((value.is_target ? kTarget : 0) |
                                        (value.period_total ? kPeriodTotal : 0)));
  seq_.push_back(key.seq);
  value_.push_back(value.value);
  low_.push_back(value.low);
  high_.push_back(value.high);
  rows_of_report_[report].push_back(row);
  if (rows_of_metric_.size() <= metric) rows_of_metric_.resize(metric + 1);
  rows_of_metric_[metric].push_back(row);
  rows_of_metric_year_[{metric, key.year}].push_back(row);
  rows_of_metric_region_[{metric, region}].push_back(row);
  if (key.region != kUnknownRegion && key.year != 0) {
    const Cell cell = CellOf(row);
    rows_of_cell_[cell].push_back(row);
    dirty_cells_.insert(cell);
  }
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
      dirty_cells_.insert(CellOf(row));
    }
  }
  rows_of_report_.erase(it);
}

IndexCache::Cell IndexCache::CellOf(uint32_t row) const {
  const bool is_change =
      change_[row] == zhibiao::v1::CHANGE_INCREASE || change_[row] == zhibiao::v1::CHANGE_DECREASE;
  const uint8_t kind = (flags_[row] & kTarget) ? 2 : is_change ? 1 : 0;
  return Cell{region_[row], year_[row], metric_[row], kind};
}

bool IndexCache::Later(uint32_t a, uint32_t b) const {
  const ReportInfo& x = report_info_[a];
  const ReportInfo& y = report_info_[b];
  if (x.published != y.published) return x.published > y.published;
  if (x.ingested_at_unix_ms != y.ingested_at_unix_ms) {
    return x.ingested_at_unix_ms > y.ingested_at_unix_ms;
  }
  return reports_.Get(a) > reports_.Get(b);
}

void IndexCache::SettleDirtyCells() {
  for (const Cell& cell : dirty_cells_) {
    auto it = rows_of_cell_.find(cell);
    if (it == rows_of_cell_.end()) continue;
    std::vector<uint32_t>& rows = it->second;
    rows.erase(std::remove_if(rows.begin(), rows.end(),
                              [this](uint32_t row) ABSL_SHARED_LOCKS_REQUIRED(mu_) {
                                return (flags_[row] & kDead) != 0;
                              }),
               rows.end());
    if (rows.empty()) {
      rows_of_cell_.erase(it);
      continue;
    }
    uint32_t latest = report_[rows.front()];
    std::array<int64_t, 256> latest_of_kind;
    latest_of_kind.fill(-1);
    for (uint32_t row : rows) {
      if (Later(report_[row], latest)) latest = report_[row];
      int64_t& of_kind = latest_of_kind[document_kind_[row]];
      if (of_kind < 0 || Later(report_[row], static_cast<uint32_t>(of_kind)))
        of_kind = report_[row];
    }
    for (uint32_t row : rows) {
      flags_[row] &= ~(kSuperseded | kSupersededInKind);
      if (report_[row] != latest) flags_[row] |= kSuperseded;
      if (report_[row] != latest_of_kind[document_kind_[row]]) flags_[row] |= kSupersededInKind;
    }
  }
  dirty_cells_.clear();
}

void IndexCache::CompactIfNeeded() {
  if (dead_ * 4 < static_cast<int64_t>(value_.size()) || value_.empty()) return;
  size_t out = 0;
  rows_of_report_.clear();
  rows_of_cell_.clear();
  for (auto& rows : rows_of_metric_) rows.clear();
  rows_of_metric_year_.clear();
  rows_of_metric_region_.clear();
  for (size_t row = 0; row < value_.size(); ++row) {
    if (flags_[row] & kDead) continue;
    metric_[out] = metric_[row];
    region_[out] = region_[row];
    province_[out] = province_[row];
    unit_[out] = unit_[row];
    subject_[out] = subject_[row];
    report_[out] = report_[row];
    year_[out] = year_[row];
    period_end_[out] = period_end_[row];
    document_kind_[out] = document_kind_[row];
    qualifier_[out] = qualifier_[row];
    change_[out] = change_[row];
    unit_kind_[out] = unit_kind_[row];
    flags_[out] = flags_[row];
    seq_[out] = seq_[row];
    value_[out] = value_[row];
    low_[out] = low_[row];
    high_[out] = high_[row];
    const uint32_t moved = static_cast<uint32_t>(out);
    rows_of_report_[report_[out]].push_back(moved);
    rows_of_metric_[metric_[out]].push_back(moved);
    rows_of_metric_year_[{metric_[out], year_[out]}].push_back(moved);
    rows_of_metric_region_[{metric_[out], region_[out]}].push_back(moved);
    if (regions_.Get(region_[out]) != kUnknownRegion && year_[out] != 0) {
      rows_of_cell_[CellOf(moved)].push_back(moved);
    }
    ++out;
  }
  for (auto* column : {&metric_, &region_, &province_, &unit_, &subject_, &report_, &seq_}) {
    column->resize(out);
  }
  year_.resize(out);
  period_end_.resize(out);
  document_kind_.resize(out);
  qualifier_.resize(out);
  change_.resize(out);
  unit_kind_.resize(out);
  flags_.resize(out);
  for (auto* column : {&value_, &low_, &high_}) column->resize(out);
  dead_ = 0;
}

double IndexCache::WeightOf(uint32_t report, uint32_t weight_metric) const {
  auto it = rows_of_report_.find(report);
  if (it == rows_of_report_.end()) return -1;
  double weight = -1;
  uint32_t first_seq = 0;
  for (uint32_t row : it->second) {
    if ((flags_[row] & (kDead | kTarget)) != 0 || metric_[row] != weight_metric) continue;
    if (change_[row] == zhibiao::v1::CHANGE_INCREASE ||
        change_[row] == zhibiao::v1::CHANGE_DECREASE) {
      continue;
    }
    if (weight < 0 || seq_[row] < first_seq) {
      weight = value_[row];
      first_seq = seq_[row];
    }
  }
  return weight;
}

const std::vector<uint32_t>& IndexCache::CandidateRows(uint32_t metric,
                                                       const zhibiao::v1::IndicatorFilter& filter,
                                                       std::vector<uint32_t>* narrowed) const {
  const std::vector<uint32_t>& all = rows_of_metric_[metric];
  static const std::vector<uint32_t> kNoRows;
  // The lists of the named years, or of the named regions (nothing for a
  // name never stored), and how many rows they hold together.
  struct Lists {
    std::vector<const std::vector<uint32_t>*> lists;
    size_t rows = 0;
    void Add(const std::vector<uint32_t>& list) {
      lists.push_back(&list);
      rows += list.size();
    }
  };
  std::optional<Lists> best;
  if (!filter.years().empty()) {
    Lists by_year;
    absl::flat_hash_set<int32_t> seen;
    for (int32_t year : filter.years()) {
      if (year < 0 || year > 0xFFFF || !seen.insert(year).second) continue;
      auto it = rows_of_metric_year_.find({metric, static_cast<uint16_t>(year)});
      if (it != rows_of_metric_year_.end()) by_year.Add(it->second);
    }
    best = std::move(by_year);
  }
  if (!filter.region_codes().empty()) {
    Lists by_region;
    absl::flat_hash_set<int64_t> seen;
    for (const std::string& code : filter.region_codes()) {
      const int64_t region = regions_.Find(code);
      if (region < 0 || !seen.insert(region).second) continue;
      auto it = rows_of_metric_region_.find({metric, static_cast<uint32_t>(region)});
      if (it != rows_of_metric_region_.end()) by_region.Add(it->second);
    }
    if (!best.has_value() || by_region.rows < best->rows) best = std::move(by_region);
  }
  if (!best.has_value() || best->rows >= all.size()) return all;
  if (best->lists.empty()) return kNoRows;
  if (best->lists.size() == 1) return *best->lists.front();
  narrowed->clear();
  narrowed->reserve(best->rows);
  for (const auto* list : best->lists)
    narrowed->insert(narrowed->end(), list->begin(), list->end());
  // The metric's own order (ascending rows), so sums add up in the same order.
  std::sort(narrowed->begin(), narrowed->end());
  return *narrowed;
}

int64_t IndexCache::live_entries() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(value_.size()) - dead_;
}

// The request compiled to ids once per query.
struct IndexCache::CompiledQuery {
  const zhibiao::v1::AggregateIndicatorsRequest* request = nullptr;
  const zhibiao::v1::IndicatorFilter* filter = nullptr;
  bool include_values = false;
  zhibiao::v1::QualifiedValues policy = zhibiao::v1::QUALIFIED_VALUES_UNSPECIFIED;
  std::vector<zhibiao::v1::GroupBy> dims;
  // Metric id -> weight metric id (-1: the weight metric was never stored).
  absl::flat_hash_map<uint32_t, int64_t> weight_metric;
  IdFilter metrics, regions, provinces, units, reports, subjects;
  std::vector<bool> excluded;  // reports left out, by id (empty: none)
  absl::flat_hash_set<int32_t> years, period_end_years, document_kinds;
  absl::flat_hash_set<int> qualifiers;
  uint8_t superseded = 0;  // the flag that marks a row superseded for this query
};

struct IndexCache::GroupAcc {
  int64_t count = 0;
  int64_t inexact = 0;
  double sum = 0, min = 0, max = 0;
  double weighted_sum = 0, weight_sum = 0;
  int64_t weighted = 0;
  uint8_t unit_kind = 0;
  std::vector<double> values;  // only with include_values
};

struct IndexCache::Groups {
  absl::flat_hash_map<GroupKey, GroupAcc> by_key;
  absl::flat_hash_map<std::pair<uint32_t, uint32_t>, double> weight_memo;  // (report, metric)
  absl::flat_hash_set<uint32_t> arriving_counted;  // arriving reports counted
  int64_t examined = 0;
};

IndexCache::CompiledQuery IndexCache::Compile(
    const zhibiao::v1::AggregateIndicatorsRequest& request) const {
  const zhibiao::v1::IndicatorFilter& filter = request.filter();
  CompiledQuery q;
  q.request = &request;
  q.filter = &filter;
  q.include_values = request.include_values();
  q.policy = request.qualified_values();
  for (int g : request.group_by()) q.dims.push_back(static_cast<zhibiao::v1::GroupBy>(g));
  for (const auto& [metric, weight] : request.weight_keys()) {
    const int64_t id = metrics_.Find(metric);
    if (id >= 0) q.weight_metric[static_cast<uint32_t>(id)] = metrics_.Find(weight);
  }
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
  q.metrics = compile(metrics_, filter.metric_keys());
  q.regions = compile(regions_, filter.region_codes());
  q.provinces = compile(regions_, filter.province_codes());
  q.units = compile(units_, filter.units());
  q.reports = compile(reports_, filter.report_ids());
  for (const std::string& id : request.exclude_report_ids()) {
    const int64_t report = reports_.Find(id);
    if (report < 0) continue;
    if (q.excluded.empty()) q.excluded.assign(reports_.size(), false);
    q.excluded[report] = true;
  }
  if (!filter.subject_contains().empty()) {
    q.subjects.any = false;
    q.subjects.allowed.resize(subjects_.size());
    for (uint32_t id = 0; id < subjects_.size(); ++id) {
      q.subjects.allowed[id] = absl::StrContains(subjects_.Get(id), filter.subject_contains());
    }
  }
  q.years.insert(filter.years().begin(), filter.years().end());
  q.period_end_years.insert(filter.period_end_years().begin(), filter.period_end_years().end());
  q.document_kinds.insert(filter.document_kinds().begin(), filter.document_kinds().end());
  q.superseded = q.document_kinds.empty() ? kSuperseded : kSupersededInKind;
  q.qualifiers.insert(filter.qualifiers().begin(), filter.qualifiers().end());
  return q;
}

// Adds `row` to its group if the query keeps it. Called once per candidate
// row: the filter's checks come cheapest first.
void IndexCache::AddRow(const CompiledQuery& q, size_t row, Groups* groups) const {
  const zhibiao::v1::IndicatorFilter& filter = *q.filter;
  const uint8_t flags = flags_[row];
  if (flags & kDead) return;
  ++groups->examined;
  if ((flags & q.superseded) && !q.request->include_superseded()) return;
  if (!q.metrics.Pass(metric_[row]) || !q.regions.Pass(region_[row]) ||
      !q.provinces.Pass(province_[row]) || !q.units.Pass(unit_[row]) ||
      !q.reports.Pass(report_[row]) || !q.subjects.Pass(subject_[row])) {
    return;
  }
  if (!q.years.empty() && !q.years.contains(year_[row])) return;
  if (!q.period_end_years.empty() && !q.period_end_years.contains(period_end_[row])) return;
  if (!q.document_kinds.empty() && !q.document_kinds.contains(document_kind_[row])) return;
  if (!q.qualifiers.empty() && !q.qualifiers.contains(qualifier_[row])) return;
  if (filter.exclude_targets() && (flags & kTarget)) return;
  if (filter.exclude_period_totals() && (flags & kPeriodTotal)) return;
  if (filter.targets_only() && !(flags & kTarget)) return;
  const bool is_change =
      change_[row] == zhibiao::v1::CHANGE_INCREASE || change_[row] == zhibiao::v1::CHANGE_DECREASE;
  if (filter.change() == zhibiao::v1::CHANGE_FILTER_LEVELS_ONLY && is_change) return;
  if (filter.change() == zhibiao::v1::CHANGE_FILTER_CHANGES_ONLY && !is_change) return;
  const uint8_t qualifier = qualifier_[row];
  const bool exact =
      qualifier == zhibiao::v1::QUALIFIER_EXACT || qualifier == zhibiao::v1::QUALIFIER_UNSPECIFIED;
  if (!exact && q.policy == zhibiao::v1::QUALIFIED_VALUES_EXACT_ONLY) return;
  if (!q.excluded.empty() && q.excluded[report_[row]]) return;
  if (!arriving_.empty() && arriving_.contains(report_[row])) {
    groups->arriving_counted.insert(report_[row]);
  }
  double v = value_[row];
  if (qualifier == zhibiao::v1::QUALIFIER_RANGE) {
    if (q.policy == zhibiao::v1::QUALIFIED_VALUES_RANGE_LOW) v = low_[row];
    if (q.policy == zhibiao::v1::QUALIFIED_VALUES_RANGE_HIGH) v = high_[row];
  }
  GroupKey key{};
  for (size_t d = 0; d < q.dims.size(); ++d) {
    switch (q.dims[d]) {
      case zhibiao::v1::GROUP_BY_METRIC: key[d] = metric_[row]; break;
      case zhibiao::v1::GROUP_BY_REGION: key[d] = region_[row]; break;
      case zhibiao::v1::GROUP_BY_PROVINCE: key[d] = province_[row]; break;
      case zhibiao::v1::GROUP_BY_YEAR: key[d] = year_[row]; break;
      case zhibiao::v1::GROUP_BY_PERIOD_END: key[d] = period_end_[row]; break;
      case zhibiao::v1::GROUP_BY_SUBJECT: key[d] = subject_[row]; break;
      case zhibiao::v1::GROUP_BY_REPORT: key[d] = report_[row]; break;
      default: break;
    }
  }
  key[4] = unit_[row];
  auto [it, inserted] = groups->by_key.try_emplace(key);
  GroupAcc& acc = it->second;
  if (inserted) {
    acc.min = acc.max = v;
    acc.unit_kind = unit_kind_[row];
  } else {
    acc.min = std::min(acc.min, v);
    acc.max = std::max(acc.max, v);
  }
  ++acc.count;
  acc.sum += v;
  if (!exact) ++acc.inexact;
  if (q.include_values) acc.values.push_back(v);
  if (q.weight_metric.empty()) return;
  auto w = q.weight_metric.find(metric_[row]);
  if (w == q.weight_metric.end() || w->second < 0) return;
  const auto memo_key = std::make_pair(report_[row], static_cast<uint32_t>(w->second));
  auto [m, fresh] = groups->weight_memo.try_emplace(memo_key, 0.0);
  if (fresh) m->second = WeightOf(report_[row], memo_key.second);
  if (m->second >= 0) {
    acc.weighted_sum += v * m->second;
    acc.weight_sum += m->second;
    ++acc.weighted;
  }
}

// Every row without metric keys; else the candidate rows of each key.
void IndexCache::AddRows(const CompiledQuery& q, Groups* groups) const {
  if (q.filter->metric_keys().empty()) {
    for (size_t row = 0; row < value_.size(); ++row) AddRow(q, row, groups);
    return;
  }
  absl::flat_hash_set<int64_t> seen;
  for (const std::string& key : q.filter->metric_keys()) {
    const int64_t id = metrics_.Find(key);
    if (id < 0 || !seen.insert(id).second || static_cast<size_t>(id) >= rows_of_metric_.size()) {
      continue;
    }
    std::vector<uint32_t> narrowed;
    for (uint32_t row : CandidateRows(static_cast<uint32_t>(id), *q.filter, &narrowed)) {
      AddRow(q, row, groups);
    }
  }
}

// Rank pushdown: the groups are (region, province, report); rank the regions
// on their values (agg::RegionValue, one report at a time) and keep only the
// groups of the kept ones. Every group when no ranking applies.
std::vector<const IndexCache::GroupEntry*> IndexCache::KeptGroups(const CompiledQuery& q,
                                                                  const Groups& groups,
                                                                  agg::RankingCut* cut) const {
  std::vector<const GroupEntry*> kept;
  const zhibiao::v1::RegionRanking& ranking = q.request->ranking();
  const std::vector<zhibiao::v1::GroupBy>& dims = q.dims;
  if (ranking.k() > 0 && dims.size() == 3 && dims[0] == zhibiao::v1::GROUP_BY_REGION &&
      dims[1] == zhibiao::v1::GROUP_BY_PROVINCE && dims[2] == zhibiao::v1::GROUP_BY_REPORT) {
    const int64_t unknown = regions_.Find(kUnknownRegion);
    agg::RankingCut result;
    struct Region {
      agg::RegionValue value;
      uint8_t unit_kind = 0;
      std::vector<const GroupEntry*> groups;
    };
    absl::flat_hash_map<uint32_t, Region> by_region;
    for (const auto& entry : groups.by_key) {
      if (static_cast<int64_t>(entry.first[0]) == unknown) continue;
      result.counts_by_unit[units_.Get(entry.first[4])] += entry.second.count;
      Region& r = by_region[entry.first[0]];
      r.value.AddReport(entry.second.sum, entry.second.max, entry.second.count);
      r.unit_kind = entry.second.unit_kind;
      r.groups.push_back(&entry);
    }
    if (result.counts_by_unit.size() <= 1) {
      std::vector<agg::RankCandidate> candidates;
      std::vector<const Region*> ranked_regions;
      for (const auto& [id, r] : by_region) {
        candidates.push_back({r.value.Value(static_cast<zhibiao::v1::UnitKind>(r.unit_kind),
                                            ranking.metric_additive()),
                              regions_.Get(id), ranked_regions.size()});
        ranked_regions.push_back(&r);
      }
      const size_t keep = agg::SelectTopRegions(&candidates, ranking.k(), ranking.bottom());
      for (size_t i = 0; i < keep; ++i) {
        const Region* r = ranked_regions[candidates[i].index];
        kept.insert(kept.end(), r->groups.begin(), r->groups.end());
      }
      result.applied = true;
      result.regions_ranked = static_cast<int64_t>(by_region.size());
      if (cut != nullptr) *cut = std::move(result);
      return kept;
    }
  }
  kept.reserve(groups.by_key.size());
  for (const auto& entry : groups.by_key) kept.push_back(&entry);
  return kept;
}

// The kept groups as partial aggregates, back to strings and sorted by
// (group values, unit).
void IndexCache::WritePartials(const CompiledQuery& q, const std::vector<const GroupEntry*>& kept,
                               std::vector<zhibiao::v1::PartialAggregate>* out) const {
  struct Named {
    std::vector<std::string> values;
    std::string unit;
    const GroupAcc* acc;
  };
  std::vector<Named> named;
  named.reserve(kept.size());
  for (const GroupEntry* entry : kept) {
    const GroupKey& key = entry->first;
    Named n;
    for (size_t d = 0; d < q.dims.size(); ++d) {
      switch (q.dims[d]) {
        case zhibiao::v1::GROUP_BY_METRIC: n.values.push_back(metrics_.Get(key[d])); break;
        case zhibiao::v1::GROUP_BY_REGION:
        case zhibiao::v1::GROUP_BY_PROVINCE: n.values.push_back(regions_.Get(key[d])); break;
        case zhibiao::v1::GROUP_BY_YEAR:
        case zhibiao::v1::GROUP_BY_PERIOD_END: n.values.push_back(absl::StrCat(key[d])); break;
        case zhibiao::v1::GROUP_BY_SUBJECT: n.values.push_back(subjects_.Get(key[d])); break;
        case zhibiao::v1::GROUP_BY_REPORT: n.values.push_back(reports_.Get(key[d])); break;
        default: n.values.emplace_back(); break;
      }
    }
    n.unit = units_.Get(key[4]);
    n.acc = &entry->second;
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
    p.set_inexact_count(n.acc->inexact);
    p.set_weighted_sum(n.acc->weighted_sum);
    p.set_weight_sum(n.acc->weight_sum);
    p.set_weighted_count(n.acc->weighted);
    if (q.include_values) {
      std::vector<double> sorted = n.acc->values;
      std::sort(sorted.begin(), sorted.end());
      p.mutable_values()->Add(sorted.begin(), sorted.end());
    }
    out->push_back(std::move(p));
  }
}

// The arriving reports counted, by id, with the ids they replace.
void IndexCache::ListArriving(const Groups& groups,
                              std::vector<zhibiao::v1::ArrivingReport>* arriving) const {
  arriving->clear();
  for (uint32_t report : groups.arriving_counted) {
    zhibiao::v1::ArrivingReport a;
    a.set_report_id(reports_.Get(report));
    a.set_replaces_report_id(arriving_.at(report));
    arriving->push_back(std::move(a));
  }
  std::sort(arriving->begin(), arriving->end(),
            [](const auto& a, const auto& b) { return a.report_id() < b.report_id(); });
}

int64_t IndexCache::Aggregate(const zhibiao::v1::AggregateIndicatorsRequest& request,
                              std::vector<zhibiao::v1::PartialAggregate>* out, agg::RankingCut* cut,
                              uint64_t* generation,
                              std::vector<zhibiao::v1::ArrivingReport>* arriving) const {
  absl::ReaderMutexLock lock(&mu_);
  if (generation != nullptr) *generation = generation_;
  const CompiledQuery query = Compile(request);
  Groups groups;
  AddRows(query, &groups);
  WritePartials(query, KeptGroups(query, groups, cut), out);
  if (arriving != nullptr) ListArriving(groups, arriving);
  return groups.examined;
}

}  // namespace zb::store
