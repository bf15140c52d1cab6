#include "common/query/aggregate.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/agg/aggregate.h"
#include "common/taxonomy/taxonomy.h"

namespace zb::query {
namespace {

using zhibiao::v1::AggregateIndicatorsRequest;
using zhibiao::v1::AggregateRequest;
using zhibiao::v1::Aggregation;
using zhibiao::v1::PartialAggregate;

std::string GroupName(const PartialAggregate& p) {
  return absl::StrCat("(", absl::StrJoin(p.group_values(), ", "), ")");
}

bool Requested(const AggregateRequest& request, Aggregation a) {
  return std::find(request.aggregations().begin(), request.aggregations().end(), a) !=
         request.aggregations().end();
}

// Whether the taxonomy lets figures of `metric_key` add up ("" and keys of
// other taxonomy versions: only the unit decides).
bool MetricAddsUp(absl::string_view metric_key, const taxonomy::Taxonomy& taxonomy) {
  const taxonomy::Entry* entry = taxonomy.Find(metric_key);
  return entry == nullptr || entry->additive;
}

// The first filter metric key the taxonomy says does not add up, or "".
std::string NonAdditiveFilterMetric(const AggregateRequest& request,
                                    const taxonomy::Taxonomy& taxonomy) {
  for (const std::string& key : request.filter().metric_keys()) {
    if (!MetricAddsUp(key, taxonomy)) return key;
  }
  return "";
}

// Why the values of a row may not be summed, or "" when they may.
// `non_additive_filter_metric` is NonAdditiveFilterMetric(request), computed once.
std::string WhyNoSum(const PartialAggregate& p, int metric_dimension,
                     const std::string& non_additive_filter_metric,
                     const taxonomy::Taxonomy& taxonomy) {
  if (!agg::IsAdditive(p.unit_kind())) {
    return absl::StrCat("values in ", p.unit(), " (", zhibiao::v1::UnitKind_Name(p.unit_kind()),
                        ") do not add up");
  }
  if (metric_dimension >= 0 && !MetricAddsUp(p.group_values(metric_dimension), taxonomy)) {
    return absl::StrCat("metric ", p.group_values(metric_dimension), " does not add up");
  }
  if (!non_additive_filter_metric.empty()) {
    return absl::StrCat("metric ", non_additive_filter_metric, " does not add up");
  }
  return "";
}

// FNV-1a, 64 bit: a fingerprint that is the same in every query process.
uint64_t Fingerprint(absl::string_view bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

uint64_t RequestFingerprint(const AggregateRequest& request) {
  AggregateRequest copy = request;
  copy.clear_page_token();
  copy.clear_page_size();
  return Fingerprint(copy.SerializeAsString());
}

std::string EncodePageToken(uint64_t fingerprint, int64_t offset) {
  return absl::WebSafeBase64Escape(absl::StrCat("a1.", fingerprint, ".", offset));
}

absl::StatusOr<int64_t> DecodePageToken(absl::string_view token, uint64_t fingerprint) {
  if (token.empty()) return 0;
  std::string plain;
  std::vector<std::string> parts;
  uint64_t issued_for = 0;
  int64_t offset = 0;
  if (!absl::WebSafeBase64Unescape(token, &plain) ||
      (parts = absl::StrSplit(plain, '.')).size() != 3 || parts[0] != "a1" ||
      !absl::SimpleAtoi(parts[1], &issued_for) || !absl::SimpleAtoi(parts[2], &offset) ||
      offset < 0) {
    return absl::InvalidArgumentError("page_token is not a token this service issued");
  }
  if (issued_for != fingerprint) {
    return absl::InvalidArgumentError(
        "page_token was issued for another request: send the same request with it");
  }
  return offset;
}

// The value rows are ordered by, if the row has it.
std::optional<double> OrderValue(const zhibiao::v1::AggregateRow& row, Aggregation order_by) {
  switch (order_by) {
    case zhibiao::v1::AGGREGATION_COUNT: return static_cast<double>(row.count());
    case zhibiao::v1::AGGREGATION_SUM:
      return row.has_sum() ? std::optional<double>(row.sum()) : std::nullopt;
    case zhibiao::v1::AGGREGATION_AVG:
      return row.has_mean() ? std::optional<double>(row.mean()) : std::nullopt;
    case zhibiao::v1::AGGREGATION_MIN:
      return row.has_min() ? std::optional<double>(row.min()) : std::nullopt;
    case zhibiao::v1::AGGREGATION_MAX:
      return row.has_max() ? std::optional<double>(row.max()) : std::nullopt;
    case zhibiao::v1::AGGREGATION_WEIGHTED_AVG:
      return row.has_weighted_mean() ? std::optional<double>(row.weighted_mean()) : std::nullopt;
    default: return std::nullopt;
  }
}

absl::Status ValidateAggregate(const AggregateRequest& request,
                               const taxonomy::Taxonomy& taxonomy) {
  if (absl::Status s = agg::ValidateFilter(request.filter()); !s.ok()) return s;
  if (absl::Status s = agg::ValidateGroupBy(request.group_by()); !s.ok()) return s;
  for (int i = 0; i < request.percentiles_size(); ++i) {
    const double p = request.percentiles(i);
    if (!(p >= 0 && p <= 100)) {
      return absl::InvalidArgumentError(
          absl::StrCat("percentiles[", i, "]: ", p, " is outside 0..100"));
    }
  }
  for (int i = 0; i < request.aggregations_size(); ++i) {
    const int a = request.aggregations(i);
    if (!zhibiao::v1::Aggregation_IsValid(a) || a == zhibiao::v1::AGGREGATION_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          absl::StrCat("aggregations[", i, "]: ", a, " is not an aggregation"));
    }
  }
  if (!zhibiao::v1::Aggregation_IsValid(request.order_by())) {
    return absl::InvalidArgumentError(
        absl::StrCat("order_by: ", request.order_by(), " is not an aggregation"));
  }
  if (!zhibiao::v1::QualifiedValues_IsValid(request.qualified_values())) {
    return absl::InvalidArgumentError(
        absl::StrCat("qualified_values: ", request.qualified_values(), " is not a policy"));
  }
  if (request.page_size() < 0 || request.page_size() > kMaxAggregateRows) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size ", request.page_size(), " is outside 0..", kMaxAggregateRows));
  }
  if (Requested(request, zhibiao::v1::AGGREGATION_SUM) ||
      request.order_by() == zhibiao::v1::AGGREGATION_SUM) {
    for (const std::string& key : request.filter().metric_keys()) {
      const taxonomy::Entry* entry = taxonomy.Find(key);
      if (entry != nullptr && !entry->additive) {
        return absl::InvalidArgumentError(
            absl::StrCat("AGGREGATION_SUM: metric ", key, " (", entry->unit_kind,
                         ") does not add up across reports; ask for AGGREGATION_AVG or "
                         "AGGREGATION_WEIGHTED_AVG"));
      }
    }
  }
  if (Requested(request, zhibiao::v1::AGGREGATION_WEIGHTED_AVG) ||
      request.order_by() == zhibiao::v1::AGGREGATION_WEIGHTED_AVG) {
    if (request.filter().metric_keys().empty()) {
      return absl::InvalidArgumentError(
          "AGGREGATION_WEIGHTED_AVG needs filter.metric_keys, each a metric with a weight metric");
    }
    for (const std::string& key : request.filter().metric_keys()) {
      const taxonomy::Entry* entry = taxonomy.Find(key);
      if (entry == nullptr || entry->weight_key.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("AGGREGATION_WEIGHTED_AVG: metric \"", key,
                         "\" has no weight metric in the taxonomy; ask for AGGREGATION_AVG"));
      }
    }
  }
  return absl::OkStatus();
}

AggregateIndicatorsRequest ShardRequestForAggregate(const AggregateRequest& request,
                                                    const taxonomy::Taxonomy& taxonomy) {
  AggregateIndicatorsRequest shard;
  *shard.mutable_filter() = request.filter();
  *shard.mutable_group_by() = request.group_by();
  shard.set_include_values(request.percentiles_size() > 0);
  shard.set_qualified_values(request.qualified_values());
  shard.set_include_superseded(request.include_superseded());
  if (Requested(request, zhibiao::v1::AGGREGATION_WEIGHTED_AVG) ||
      request.order_by() == zhibiao::v1::AGGREGATION_WEIGHTED_AVG) {
    for (const std::string& key : request.filter().metric_keys()) {
      const taxonomy::Entry* entry = taxonomy.Find(key);
      if (entry != nullptr && !entry->weight_key.empty()) {
        (*shard.mutable_weight_keys())[key] = entry->weight_key;
      }
    }
  }
  return shard;
}

// INVALID_ARGUMENT naming the group and its units when a group of `merged`
// (sorted by group values, then unit) has figures in several base units.
absl::Status CheckOneUnitPerGroup(const std::vector<PartialAggregate>& merged) {
  auto same_group = [](const PartialAggregate& a, const PartialAggregate& b) {
    return std::equal(a.group_values().begin(), a.group_values().end(), b.group_values().begin(),
                      b.group_values().end());
  };
  for (size_t i = 1; i < merged.size(); ++i) {
    if (!same_group(merged[i], merged[i - 1])) continue;
    std::vector<std::string> units;
    for (size_t k = i - 1; k < merged.size() && same_group(merged[k], merged[i]); ++k) {
      units.push_back(absl::StrCat(merged[k].unit(), " (", merged[k].count(), " figures)"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("group ", GroupName(merged[i]), " mixes units ", absl::StrJoin(units, ", "),
                     ": restrict filter.units or filter.metric_keys, group by metric, or set "
                     "split_by_unit"));
  }
  return absl::OkStatus();
}

// Builds the rows of one request from merged partials: what each row
// computes, with sums refused where they do not add up.
class RowBuilder {
 public:
  RowBuilder(const AggregateRequest& request, const taxonomy::Taxonomy& taxonomy)
      : request_(request),
        taxonomy_(taxonomy),
        defaults_(request.aggregations().empty()),
        sum_requested_(Wanted(zhibiao::v1::AGGREGATION_SUM)),
        non_additive_filter_metric_(NonAdditiveFilterMetric(request, taxonomy)) {
    for (int d = 0; d < request.group_by_size(); ++d) {
      if (request.group_by(d) == zhibiao::v1::GROUP_BY_METRIC) metric_dimension_ = d;
    }
  }

  // The row of `p`, or INVALID_ARGUMENT when a sum was asked of it and may not be made.
  absl::StatusOr<zhibiao::v1::AggregateRow> RowOf(const PartialAggregate& p) const {
    zhibiao::v1::AggregateRow row;
    *row.mutable_group_values() = p.group_values();
    row.set_unit(p.unit());
    row.set_unit_kind(p.unit_kind());
    row.set_count(p.count());
    row.set_inexact_count(p.inexact_count());
    if (Computed(zhibiao::v1::AGGREGATION_SUM) || sum_requested_) {
      const std::string why_not =
          WhyNoSum(p, metric_dimension_, non_additive_filter_metric_, taxonomy_);
      if (why_not.empty()) {
        row.set_sum(p.sum());
      } else if (sum_requested_) {
        return absl::InvalidArgumentError(
            absl::StrCat("AGGREGATION_SUM refused for group ", GroupName(p), ": ", why_not,
                         "; ask for AGGREGATION_AVG or AGGREGATION_WEIGHTED_AVG"));
      }
    }
    if (Computed(zhibiao::v1::AGGREGATION_AVG)) {
      row.set_mean(p.sum() / static_cast<double>(p.count()));
    }
    if (Computed(zhibiao::v1::AGGREGATION_MIN)) row.set_min(p.min());
    if (Computed(zhibiao::v1::AGGREGATION_MAX)) row.set_max(p.max());
    if (Wanted(zhibiao::v1::AGGREGATION_WEIGHTED_AVG)) {
      row.set_weighted_count(p.weighted_count());
      if (p.weight_sum() > 0) row.set_weighted_mean(p.weighted_sum() / p.weight_sum());
    }
    for (double q : request_.percentiles()) {
      if (p.values_size() > 0) row.add_percentiles(agg::NearestRankPercentile(p.values(), q));
    }
    return row;
  }

 private:
  // Asked for by name or as the order.
  bool Wanted(Aggregation a) const { return Requested(request_, a) || request_.order_by() == a; }
  // Wanted, or in the default set when none is named.
  bool Computed(Aggregation a) const { return defaults_ || Wanted(a); }

  const AggregateRequest& request_;
  const taxonomy::Taxonomy& taxonomy_;
  const bool defaults_;
  const bool sum_requested_;
  const std::string non_additive_filter_metric_;
  int metric_dimension_ = -1;
};

// Orders rows by the chosen value (rows without it last), then by group and
// unit; by group and unit alone (or reversed) without order_by.
void OrderRows(const AggregateRequest& request, std::vector<zhibiao::v1::AggregateRow>* rows) {
  if (request.order_by() == zhibiao::v1::AGGREGATION_UNSPECIFIED && !request.descending()) return;
  const Aggregation order_by = request.order_by();
  const bool descending = request.descending();
  auto group_less = [](const zhibiao::v1::AggregateRow& a, const zhibiao::v1::AggregateRow& b) {
    return std::lexicographical_compare(a.group_values().begin(), a.group_values().end(),
                                        b.group_values().begin(), b.group_values().end()) ||
           (std::equal(a.group_values().begin(), a.group_values().end(), b.group_values().begin(),
                       b.group_values().end()) &&
            a.unit() < b.unit());
  };
  std::stable_sort(rows->begin(), rows->end(), [&](const auto& a, const auto& b) {
    if (order_by == zhibiao::v1::AGGREGATION_UNSPECIFIED) {
      return descending ? group_less(b, a) : group_less(a, b);
    }
    const std::optional<double> x = OrderValue(a, order_by);
    const std::optional<double> y = OrderValue(b, order_by);
    if (x.has_value() != y.has_value()) return x.has_value();
    if (x.has_value() && *x != *y) return descending ? *x > *y : *x < *y;
    return group_less(a, b);
  });
}

absl::Status AnswerAggregate(const AggregateRequest& request, const taxonomy::Taxonomy& taxonomy,
                             const std::vector<PartialAggregate>& merged,
                             zhibiao::v1::AggregateResponse* response) {
  if (!request.split_by_unit()) {
    if (absl::Status one_unit = CheckOneUnitPerGroup(merged); !one_unit.ok()) return one_unit;
  }
  const RowBuilder builder(request, taxonomy);
  std::vector<zhibiao::v1::AggregateRow> rows;
  rows.reserve(merged.size());
  for (const PartialAggregate& p : merged) {
    absl::StatusOr<zhibiao::v1::AggregateRow> row = builder.RowOf(p);
    if (!row.ok()) return row.status();
    rows.push_back(*std::move(row));
  }
  OrderRows(request, &rows);
  const uint64_t fingerprint = RequestFingerprint(request);
  absl::StatusOr<int64_t> offset = DecodePageToken(request.page_token(), fingerprint);
  if (!offset.ok()) return offset.status();
  const int64_t page_size = request.page_size() == 0 ? kMaxAggregateRows : request.page_size();
  const int64_t total = static_cast<int64_t>(rows.size());
  const int64_t begin = std::min(*offset, total);
  const int64_t end = std::min(total, begin + page_size);
  for (int64_t i = begin; i < end; ++i) *response->add_rows() = std::move(rows[i]);
  response->set_total_rows(total);
  if (end < total) response->set_next_page_token(EncodePageToken(fingerprint, end));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ShardPlan> AggregateQuery::Plan(const Request& request, Response* response) {
  const taxonomy::Taxonomy& taxonomy = taxonomy::Taxonomy::Default();
  if (absl::Status valid = ValidateAggregate(request, taxonomy); !valid.ok()) return valid;
  ShardPlan plan;
  plan.shard_request = ShardRequestForAggregate(request, taxonomy);
  plan.allow_partial = request.allow_partial();
  plan.answer = [&request, response, &taxonomy](const std::vector<PartialAggregate>& merged,
                                                const ShardTotals& totals) {
    response->set_indicators_scanned(totals.scanned);
    return AnswerAggregate(request, taxonomy, merged, response);
  };
  return plan;
}

}  // namespace zb::query
