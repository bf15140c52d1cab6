// SearchIndicators: the figures whose subject holds every word (NFKC, as
// subjects are stored) and that a filter selects, in each shard's search
// order, a page at a time over every shard.
#ifndef ZHIBIAO_COMMON_QUERY_SEARCH_H_
#define ZHIBIAO_COMMON_QUERY_SEARCH_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/query/shard_pages.h"
#include "zhibiao/v1/storage.pb.h"

namespace zb::query {

struct SearchQuery {
  using Request = zhibiao::v1::SearchIndicatorsRequest;
  using Response = zhibiao::v1::SearchIndicatorsResponse;
  static constexpr int kDefaultPageSize = 50;
  // INVALID_ARGUMENT for filter values, words, page_size outside 0..1000, a
  // request with neither words nor filter.metric_keys, or a page_token this
  // service did not issue; else what each of `shard_count` shards is asked.
  static absl::StatusOr<ListingPlan<Request>> Plan(const Request& request, int shard_count);
  // The key a shard orders a hit by.
  static const std::string& SortKeyOf(const zhibiao::v1::IndicatorHit& hit) {
    return hit.sort_key();
  }
};

}  // namespace zb::query

#endif  // ZHIBIAO_COMMON_QUERY_SEARCH_H_
