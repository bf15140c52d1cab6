#include "common/query/search.h"

#include "common/agg/aggregate.h"
#include "common/text/normalize.h"

namespace zb::query {

absl::StatusOr<ListingPlan<SearchQuery::Request>> SearchQuery::Plan(const Request& request,
                                                                    int shard_count) {
  if (absl::Status s = agg::ValidateFilter(request.filter()); !s.ok()) return s;
  if (absl::Status s = agg::ValidateSearchWords(request.words()); !s.ok()) return s;
  if (absl::Status s = ValidatePageSize(request.page_size()); !s.ok()) return s;
  if (request.words().empty() && request.filter().metric_keys().empty()) {
    return absl::InvalidArgumentError("give words or filter.metric_keys to search by");
  }
  Request shard_request = request;
  // Words are matched against NFKC subjects: normalise them the same way.
  shard_request.clear_words();
  for (const std::string& word : request.words()) {
    std::string normalized = text::NormalizeNfkc(word).text;
    if (!normalized.empty()) shard_request.add_words(std::move(normalized));
  }
  const int page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  return PlanListing(std::move(shard_request), request.page_token(), page_size, shard_count);
}

}  // namespace zb::query
