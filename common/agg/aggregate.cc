#include "common/agg/aggregate.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/grpc_status.h"

namespace zb::agg {
namespace {

bool IsSixDigits(absl::string_view s) {
  if (s.size() != 6) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

int IsInexact(int qualifier) {
  return qualifier != zhibiao::v1::QUALIFIER_EXACT &&
         qualifier != zhibiao::v1::QUALIFIER_UNSPECIFIED;
}

template <typename Container, typename T>
bool Contains(const Container& c, const T& v) {
  return std::find(c.begin(), c.end(), v) != c.end();
}

// Appends the row's value of a dimension to `out`.
void AppendGroupValue(zhibiao::v1::GroupBy dimension, const IndicatorRow& row, std::string* out) {
  switch (dimension) {
    case zhibiao::v1::GROUP_BY_METRIC:
      out->append(row.metric_key.data(), row.metric_key.size());
      break;
    case zhibiao::v1::GROUP_BY_REGION: out->append(row.region.data(), row.region.size()); break;
    case zhibiao::v1::GROUP_BY_PROVINCE:
      out->append(row.province.data(), row.province.size());
      break;
    case zhibiao::v1::GROUP_BY_YEAR: absl::StrAppend(out, row.year); break;
    case zhibiao::v1::GROUP_BY_PERIOD_END: absl::StrAppend(out, row.period_end); break;
    case zhibiao::v1::GROUP_BY_SUBJECT: out->append(row.subject.data(), row.subject.size()); break;
    case zhibiao::v1::GROUP_BY_REPORT:
      out->append(row.report_id.data(), row.report_id.size());
      break;
    default: break;
  }
}

template <typename Field>
bool ContainsView(const Field& field, absl::string_view v) {
  for (const auto& item : field) {
    if (item == v) return true;
  }
  return false;
}

void MergeInto(const zhibiao::v1::PartialAggregate& in, zhibiao::v1::PartialAggregate* out) {
  if (out->count() == 0) {
    out->set_min(in.min());
    out->set_max(in.max());
  } else if (in.count() > 0) {
    out->set_min(std::min(out->min(), in.min()));
    out->set_max(std::max(out->max(), in.max()));
  }
  out->set_count(out->count() + in.count());
  out->set_sum(out->sum() + in.sum());
  out->set_inexact_count(out->inexact_count() + in.inexact_count());
  out->set_weighted_sum(out->weighted_sum() + in.weighted_sum());
  out->set_weight_sum(out->weight_sum() + in.weight_sum());
  out->set_weighted_count(out->weighted_count() + in.weighted_count());
  if (in.values_size() > 0) {
    std::vector<double> merged;
    merged.reserve(out->values_size() + in.values_size());
    std::merge(out->values().begin(), out->values().end(), in.values().begin(), in.values().end(),
               std::back_inserter(merged));
    out->mutable_values()->Clear();
    out->mutable_values()->Add(merged.begin(), merged.end());
  }
}

}  // namespace

bool IsAdditive(zhibiao::v1::UnitKind kind) {
  return kind == zhibiao::v1::UNIT_KIND_COUNT || kind == zhibiao::v1::UNIT_KIND_CURRENCY_CNY;
}

void RegionValue::AddReport(double sum, double max, int64_t count) {
  sum_ += sum;
  sum_of_largest_ += max;
  count_ += count;
}

double RegionValue::Value(zhibiao::v1::UnitKind kind, bool metric_additive) const {
  if (metric_additive && IsAdditive(kind)) return sum_of_largest_;
  return count_ == 0 ? 0 : sum_ / static_cast<double>(count_);
}

size_t SelectTopRegions(std::vector<RankCandidate>* candidates, int k, bool bottom) {
  std::sort(candidates->begin(), candidates->end(),
            [bottom](const RankCandidate& a, const RankCandidate& b) {
              if (a.value != b.value) return bottom ? a.value < b.value : a.value > b.value;
              return a.region_code < b.region_code;
            });
  if (k <= 0) return 0;
  size_t keep = std::min(static_cast<size_t>(k), candidates->size());
  while (keep < candidates->size() && keep > 0 &&
         (*candidates)[keep].value == (*candidates)[keep - 1].value) {
    ++keep;
  }
  return keep;
}

absl::Status ValidateFilter(const zhibiao::v1::IndicatorFilter& filter) {
  // Sizes first: a filter is a handful of values, and every value costs
  // work on every shard.
  struct Bound {
    const char* field;
    int size;
    int limit;
  };
  for (const Bound& b : {Bound{"metric_keys", filter.metric_keys_size(), kMaxFilterMetricKeys},
                         Bound{"region_codes", filter.region_codes_size(), kMaxFilterRegions},
                         Bound{"province_codes", filter.province_codes_size(), kMaxFilterProvinces},
                         Bound{"years", filter.years_size(), kMaxFilterYears},
                         Bound{"report_ids", filter.report_ids_size(), kMaxFilterReportIds},
                         Bound{"units", filter.units_size(), kMaxFilterUnits},
                         Bound{"qualifiers", filter.qualifiers_size(), kMaxFilterUnits},
                         Bound{"period_end_years", filter.period_end_years_size(), kMaxFilterYears},
                         Bound{"document_kinds", filter.document_kinds_size(), kMaxFilterUnits}}) {
    if (b.size > b.limit) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter.", b.field, ": ", b.size, " values, over the limit of ", b.limit));
    }
  }
  if (filter.subject_contains().size() > kMaxFilterTextBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter.subject_contains: ", filter.subject_contains().size(),
                     " bytes, over the limit of ", kMaxFilterTextBytes));
  }
  for (int i = 0; i < filter.metric_keys_size(); ++i) {
    if (filter.metric_keys(i).size() > kMaxFilterTextBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter.metric_keys[", i, "] is ", filter.metric_keys(i).size(),
                       " bytes, over the limit of ", kMaxFilterTextBytes));
    }
  }
  for (int i = 0; i < filter.units_size(); ++i) {
    if (filter.units(i).size() > kMaxFilterTextBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter.units[", i, "] is ", filter.units(i).size(),
                       " bytes, over the limit of ", kMaxFilterTextBytes));
    }
  }
  for (int i = 0; i < filter.region_codes_size(); ++i) {
    if (!IsSixDigits(filter.region_codes(i))) {
      return absl::InvalidArgumentError(absl::StrCat("filter.region_codes[", i, "]: \"",
                                                     ShortQuote(filter.region_codes(i), 40),
                                                     "\" is not a six-digit GB/T 2260 code"));
    }
  }
  for (int i = 0; i < filter.province_codes_size(); ++i) {
    if (!IsSixDigits(filter.province_codes(i)) ||
        !absl::EndsWith(filter.province_codes(i), "0000")) {
      return absl::InvalidArgumentError(absl::StrCat("filter.province_codes[", i, "]: \"",
                                                     ShortQuote(filter.province_codes(i), 40),
                                                     "\" is not a province code like 410000"));
    }
  }
  for (int i = 0; i < filter.years_size(); ++i) {
    if (filter.years(i) < 1 || filter.years(i) > 9999) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter.years[", i, "]: ", filter.years(i), " is not a year"));
    }
  }
  for (int i = 0; i < filter.period_end_years_size(); ++i) {
    if (filter.period_end_years(i) < 1 || filter.period_end_years(i) > 9999) {
      return absl::InvalidArgumentError(absl::StrCat(
          "filter.period_end_years[", i, "]: ", filter.period_end_years(i), " is not a year"));
    }
  }
  for (int i = 0; i < filter.document_kinds_size(); ++i) {
    if (!zhibiao::v1::DocumentKind_IsValid(filter.document_kinds(i))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "filter.document_kinds[", i, "]: ", filter.document_kinds(i), " is not a DocumentKind"));
    }
  }
  if (filter.targets_only() && filter.exclude_targets()) {
    return absl::InvalidArgumentError(
        "filter: targets_only and exclude_targets exclude each other");
  }
  return absl::OkStatus();
}

absl::Status ValidateSearchWords(const google::protobuf::RepeatedPtrField<std::string>& words) {
  if (words.size() > kMaxSearchWords) {
    return absl::InvalidArgumentError(
        absl::StrCat("words: ", words.size(), " words, over the limit of ", kMaxSearchWords));
  }
  for (int i = 0; i < words.size(); ++i) {
    if (words[i].size() > kMaxSearchWordBytes) {
      return absl::InvalidArgumentError(absl::StrCat("words[", i, "] is ", words[i].size(),
                                                     " bytes, over the limit of ",
                                                     kMaxSearchWordBytes));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateGroupBy(const google::protobuf::RepeatedField<int>& group_by) {
  if (group_by.size() > kMaxGroupBy) {
    return absl::InvalidArgumentError(
        absl::StrCat("group_by: at most ", kMaxGroupBy, " dimensions, got ", group_by.size()));
  }
  for (int i = 0; i < group_by.size(); ++i) {
    if (!zhibiao::v1::GroupBy_IsValid(group_by[i]) ||
        group_by[i] == zhibiao::v1::GROUP_BY_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          absl::StrCat("group_by[", i, "]: ", group_by[i], " is not a GroupBy dimension"));
    }
    for (int k = 0; k < i; ++k) {
      if (group_by[k] == group_by[i]) {
        return absl::InvalidArgumentError(absl::StrCat(
            "group_by[", i, "]: ", zhibiao::v1::GroupBy_Name(group_by[i]), " is repeated"));
      }
    }
  }
  return absl::OkStatus();
}

IndicatorMatcher::IndicatorMatcher(const zhibiao::v1::IndicatorFilter& filter) : filter_(filter) {
  const auto& f = filter_;
  matches_all_ =
      f.metric_keys().empty() && f.years().empty() && f.region_codes().empty() &&
      f.province_codes().empty() && f.report_ids().empty() && f.units().empty() &&
      f.qualifiers().empty() && !f.exclude_targets() && !f.targets_only() &&
      !f.exclude_period_totals() && f.period_end_years().empty() && f.document_kinds().empty() &&
      f.change() == zhibiao::v1::CHANGE_FILTER_UNSPECIFIED && f.subject_contains().empty();
}

bool IndicatorMatcher::Matches(const IndicatorRow& row) const {
  const auto& f = filter_;
  if (!f.metric_keys().empty() && !ContainsView(f.metric_keys(), row.metric_key)) return false;
  if (!f.years().empty() && !Contains(f.years(), row.year)) return false;
  if (!f.region_codes().empty() && !ContainsView(f.region_codes(), row.region)) return false;
  if (!f.province_codes().empty() && !ContainsView(f.province_codes(), row.province)) return false;
  if (!f.report_ids().empty() && !ContainsView(f.report_ids(), row.report_id)) return false;
  if (!f.units().empty() && !ContainsView(f.units(), row.unit)) return false;
  if (!f.qualifiers().empty() && !Contains(f.qualifiers(), row.qualifier)) return false;
  if (f.exclude_targets() && row.is_target) return false;
  if (f.targets_only() && !row.is_target) return false;
  if (f.exclude_period_totals() && row.period_total) return false;
  if (!f.period_end_years().empty() && !Contains(f.period_end_years(), row.period_end))
    return false;
  if (!f.document_kinds().empty() && !Contains(f.document_kinds(), row.document_kind)) return false;
  const bool is_change =
      row.change == zhibiao::v1::CHANGE_INCREASE || row.change == zhibiao::v1::CHANGE_DECREASE;
  if (f.change() == zhibiao::v1::CHANGE_FILTER_LEVELS_ONLY && is_change) return false;
  if (f.change() == zhibiao::v1::CHANGE_FILTER_CHANGES_ONLY && !is_change) return false;
  if (!f.subject_contains().empty() && !absl::StrContains(row.subject, f.subject_contains())) {
    return false;
  }
  return true;
}

PartialAggregator::PartialAggregator(const google::protobuf::RepeatedField<int>& group_by,
                                     bool include_values)
    : include_values_(include_values) {
  for (int g : group_by) group_by_.push_back(static_cast<zhibiao::v1::GroupBy>(g));
}

void PartialAggregator::Add(const IndicatorRow& row) {
  key_.clear();
  for (zhibiao::v1::GroupBy g : group_by_) {
    AppendGroupValue(g, row, &key_);
    key_.push_back('\x1f');
  }
  key_.push_back('\x1e');
  key_.append(row.unit.data(), row.unit.size());
  if (last_group_ != nullptr && key_ == last_key_) {
    Accumulate(row, last_group_);
    return;
  }
  auto it = groups_.find(key_);
  if (it == groups_.end()) {
    Group g;
    for (zhibiao::v1::GroupBy d : group_by_) {
      std::string v;
      AppendGroupValue(d, row, &v);
      g.values.push_back(std::move(v));
    }
    g.unit = std::string(row.unit);
    g.unit_kind = row.unit_kind;
    g.min = g.max = row.value;
    it = groups_.emplace(key_, std::move(g)).first;
  }
  Accumulate(row, &it->second);
  // flat_hash_map moves elements on rehash, but never on lookup or update of
  // an existing key; the pointer is refreshed on every insertion path.
  last_group_ = &it->second;
  last_key_ = key_;
}

void PartialAggregator::Accumulate(const IndicatorRow& row, Group* g) const {
  ++g->count;
  g->inexact += IsInexact(row.qualifier);
  g->sum += row.value;
  g->min = std::min(g->min, row.value);
  g->max = std::max(g->max, row.value);
  if (include_values_) g->samples.push_back(row.value);
}

bool PartialAggregator::needs_subject() const {
  for (zhibiao::v1::GroupBy g : group_by_) {
    if (g == zhibiao::v1::GROUP_BY_SUBJECT) return true;
  }
  return false;
}

std::vector<zhibiao::v1::PartialAggregate> PartialAggregator::Finish() const {
  std::vector<const Group*> sorted;
  sorted.reserve(groups_.size());
  for (const auto& [key, group] : groups_) sorted.push_back(&group);
  std::sort(sorted.begin(), sorted.end(), [](const Group* a, const Group* b) {
    return std::tie(a->values, a->unit) < std::tie(b->values, b->unit);
  });
  std::vector<zhibiao::v1::PartialAggregate> out;
  out.reserve(sorted.size());
  for (const Group* g : sorted) {
    zhibiao::v1::PartialAggregate p;
    for (const std::string& v : g->values) p.add_group_values(v);
    p.set_unit(g->unit);
    p.set_unit_kind(static_cast<zhibiao::v1::UnitKind>(g->unit_kind));
    p.set_count(g->count);
    p.set_sum(g->sum);
    p.set_min(g->min);
    p.set_max(g->max);
    p.set_inexact_count(g->inexact);
    if (include_values_) {
      std::vector<double> samples = g->samples;
      std::sort(samples.begin(), samples.end());
      p.mutable_values()->Add(samples.begin(), samples.end());
    }
    out.push_back(std::move(p));
  }
  return out;
}

void PartialMerger::Add(const zhibiao::v1::PartialAggregate& partial) {
  std::vector<std::string> values(partial.group_values().begin(), partial.group_values().end());
  auto [it, inserted] = groups_.try_emplace({std::move(values), partial.unit()});
  if (inserted) {
    it->second = partial;
  } else {
    MergeInto(partial, &it->second);
  }
}

namespace {

// The order of PartialMerger's keys: group values, then unit.
int CompareGroups(const zhibiao::v1::PartialAggregate& a, const zhibiao::v1::PartialAggregate& b) {
  const int n = std::min(a.group_values_size(), b.group_values_size());
  for (int i = 0; i < n; ++i) {
    if (const int c = a.group_values(i).compare(b.group_values(i)); c != 0) return c;
  }
  if (a.group_values_size() != b.group_values_size()) {
    return a.group_values_size() < b.group_values_size() ? -1 : 1;
  }
  return a.unit().compare(b.unit());
}

}  // namespace

std::vector<zhibiao::v1::PartialAggregate> MergeSortedPartials(
    const std::vector<const google::protobuf::RepeatedPtrField<zhibiao::v1::PartialAggregate>*>&
        lists) {
  size_t total = 0;
  for (const auto* list : lists) {
    for (int i = 1; i < list->size(); ++i) {
      if (CompareGroups(list->Get(i - 1), list->Get(i)) >= 0) {
        PartialMerger merger;  // not in order: the general way
        for (const auto* l : lists) {
          for (const auto& partial : *l) merger.Add(partial);
        }
        return merger.Merged();
      }
    }
    total += static_cast<size_t>(list->size());
  }
  std::vector<zhibiao::v1::PartialAggregate> out;
  out.reserve(total);
  std::vector<int> next(lists.size(), 0);
  while (true) {
    // The smallest group at the head of any list (few lists: one per shard).
    const zhibiao::v1::PartialAggregate* smallest = nullptr;
    for (size_t l = 0; l < lists.size(); ++l) {
      if (next[l] >= lists[l]->size()) continue;
      const auto& head = lists[l]->Get(next[l]);
      if (smallest == nullptr || CompareGroups(head, *smallest) < 0) smallest = &head;
    }
    if (smallest == nullptr) break;
    bool first = true;
    for (size_t l = 0; l < lists.size(); ++l) {
      if (next[l] >= lists[l]->size()) continue;
      const auto& head = lists[l]->Get(next[l]);
      if (&head != smallest && CompareGroups(head, *smallest) != 0) continue;
      if (first) {
        out.push_back(head);
        first = false;
      } else {
        MergeInto(head, &out.back());
      }
      ++next[l];
    }
  }
  return out;
}

double NearestRankPercentile(const google::protobuf::RepeatedField<double>& sorted, double p) {
  const int n = sorted.size();
  int rank = static_cast<int>(std::ceil(p / 100.0 * n));  // 1-based
  rank = std::max(1, std::min(n, rank));
  return sorted[rank - 1];
}

std::vector<zhibiao::v1::PartialAggregate> PartialMerger::Merged() const {
  std::vector<zhibiao::v1::PartialAggregate> out;
  out.reserve(groups_.size());
  for (const auto& [key, partial] : groups_) out.push_back(partial);
  return out;
}

}  // namespace zb::agg
