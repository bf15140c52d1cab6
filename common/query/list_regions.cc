#include "common/query/list_regions.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "common/agg/aggregate.h"
#include "common/regions/regions.h"

namespace zb::query {
namespace {

// Partials per (region, province, year, report) and unit: a report has one
// year, and one partial per base unit of its figures.
void AnswerListRegions(const std::vector<zhibiao::v1::PartialAggregate>& merged,
                       zhibiao::v1::ListRegionsResponse* response) {
  struct Coverage {
    std::string province_code;
    std::set<std::string> reports;
    int64_t figures = 0;
    std::set<int32_t> years;
  };
  std::map<std::string, Coverage> by_region;
  std::set<std::string> unplaced_reports;
  for (const zhibiao::v1::PartialAggregate& p : merged) {
    if (!OfKnownRegion(p)) {
      response->set_unplaced_figure_count(response->unplaced_figure_count() + p.count());
      unplaced_reports.insert(p.group_values(3));
      continue;
    }
    Coverage& c = by_region[p.group_values(0)];
    c.province_code = p.group_values(1);
    c.reports.insert(p.group_values(3));
    c.figures += p.count();
    int32_t year = 0;
    if (absl::SimpleAtoi(p.group_values(2), &year) && year > 0) c.years.insert(year);
  }
  response->set_unplaced_report_count(static_cast<int32_t>(unplaced_reports.size()));
  const regions::RegionTable& table = regions::RegionTable::Default();
  for (const auto& [code, c] : by_region) {
    zhibiao::v1::RegionCoverage* out = response->add_regions();
    out->set_region_code(code);
    out->set_region_name(table.NameOf(code));
    out->set_province_code(c.province_code);
    out->set_report_count(static_cast<int32_t>(c.reports.size()));
    out->set_figure_count(c.figures);
    for (int32_t year : c.years) out->add_years(year);
  }
}

}  // namespace

absl::StatusOr<ShardPlan> ListRegionsQuery::Plan(const Request& request, Response* response) {
  if (absl::Status valid = agg::ValidateFilter(request.filter()); !valid.ok()) return valid;
  ShardPlan plan;
  *plan.shard_request.mutable_filter() = request.filter();
  plan.shard_request.add_group_by(zhibiao::v1::GROUP_BY_REGION);
  plan.shard_request.add_group_by(zhibiao::v1::GROUP_BY_PROVINCE);
  plan.shard_request.add_group_by(zhibiao::v1::GROUP_BY_YEAR);
  plan.shard_request.add_group_by(zhibiao::v1::GROUP_BY_REPORT);
  plan.shard_request.set_include_superseded(true);  // a region's every stored report
  plan.allow_partial = request.allow_partial();
  plan.answer = [response](const std::vector<zhibiao::v1::PartialAggregate>& merged,
                           const ShardTotals&) {
    AnswerListRegions(merged, response);
    return absl::OkStatus();
  };
  return plan;
}

}  // namespace zb::query
