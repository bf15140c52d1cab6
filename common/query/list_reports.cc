#include "common/query/list_reports.h"

#include "common/store/keys.h"

namespace zb::query {

absl::StatusOr<ListingPlan<ListReportsQuery::Request>> ListReportsQuery::Plan(
    const Request& request, int shard_count) {
  if (absl::Status valid = ValidatePageSize(request.page_size()); !valid.ok()) return valid;
  const int page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  return PlanListing(request, request.page_token(), page_size, shard_count);
}

std::string ListReportsQuery::SortKeyOf(const zhibiao::v1::ReportMeta& meta) {
  return store::RegionIndexKey(meta);
}

}  // namespace zb::query
