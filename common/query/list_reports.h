// ListReports: the stored reports' metadata a filter selects (region,
// province, year, issuer), in region-index order, a page at a time over
// every shard.
#ifndef ZHIBIAO_COMMON_QUERY_LIST_REPORTS_H_
#define ZHIBIAO_COMMON_QUERY_LIST_REPORTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/query/shard_pages.h"
#include "zhibiao/v1/storage.pb.h"

namespace zb::query {

struct ListReportsQuery {
  using Request = zhibiao::v1::ListReportsRequest;
  using Response = zhibiao::v1::ListReportsResponse;
  static constexpr int kDefaultPageSize = 100;
  // INVALID_ARGUMENT for page_size outside 0..1000 or a page_token this
  // service did not issue; else what each of `shard_count` shards is asked.
  static absl::StatusOr<ListingPlan<Request>> Plan(const Request& request, int shard_count);
  // The key a shard lists a report by (its region index key).
  static std::string SortKeyOf(const zhibiao::v1::ReportMeta& meta);
};

}  // namespace zb::query

#endif  // ZHIBIAO_COMMON_QUERY_LIST_REPORTS_H_
