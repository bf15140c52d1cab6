// One page of a listing merged over every shard (ListReports,
// SearchIndicators): the cross-shard page token, which holds for each shard
// the sort key of the last item already returned from it, the request each
// shard is asked, and the merge that takes the page's smallest keys.
#ifndef ZHIBIAO_COMMON_QUERY_SHARD_PAGES_H_
#define ZHIBIAO_COMMON_QUERY_SHARD_PAGES_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zb::query {

// Where a listing stands on one shard: the sort key of the last item
// already returned from it ("" = none yet), or exhausted.
struct ShardCursor {
  std::string last_key;
  bool exhausted = false;
};
std::string EncodeListToken(const std::vector<ShardCursor>& cursors);
// INVALID_ARGUMENT for a token this service did not issue or issued for
// another number of shards.
absl::StatusOr<std::vector<ShardCursor>> DecodeListToken(absl::string_view token, int shards);

// The token a storage shard takes to continue after the item with sort key
// `last_key` (IndicatorStore::List and Search), "" for the first page.
std::string ShardPageToken(absl::string_view last_key);

// Takes one page from per-shard pages whose items are sorted by `keys`:
// the page_size smallest keys over the shards not yet exhausted, as (shard,
// index) pairs in key order. Advances `cursors`, marks a shard exhausted when
// it has nothing left (no items beyond those taken and no next page), and
// returns whether any shard has more.
bool TakePage(const std::vector<std::vector<std::string>>& keys, const std::vector<bool>& has_next,
              int page_size, std::vector<ShardCursor>* cursors,
              std::vector<std::pair<size_t, size_t>>* taken);

// What one page of a listing asks the shards.
template <typename Request>
struct ListingPlan {
  int page_size = 0;
  std::vector<ShardCursor> cursors;  // from the request's page_token
  std::vector<Request> per_shard;    // a full page after each shard's own cursor
};

// The plan of a page of `page_size` items (1..1000 already checked) that
// continues `page_token`: `shard_request` with that page size and each
// shard's own token. INVALID_ARGUMENT for a page_token DecodeListToken refuses.
template <typename Request>
absl::StatusOr<ListingPlan<Request>> PlanListing(Request shard_request,
                                                 absl::string_view page_token, int page_size,
                                                 int shard_count) {
  absl::StatusOr<std::vector<ShardCursor>> cursors = DecodeListToken(page_token, shard_count);
  if (!cursors.ok()) return cursors.status();
  ListingPlan<Request> plan;
  plan.page_size = page_size;
  plan.cursors = *std::move(cursors);
  shard_request.set_page_size(page_size);
  shard_request.clear_page_token();
  plan.per_shard.assign(shard_count, shard_request);
  for (int i = 0; i < shard_count; ++i) {
    if (!plan.cursors[i].last_key.empty()) {
      plan.per_shard[i].set_page_token(ShardPageToken(plan.cursors[i].last_key));
    }
  }
  return plan;
}

// INVALID_ARGUMENT unless 0 <= page_size <= 1000.
absl::Status ValidatePageSize(int page_size);

}  // namespace zb::query

#endif  // ZHIBIAO_COMMON_QUERY_SHARD_PAGES_H_
