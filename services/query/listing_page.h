// Merges one page of a listing (ListReports, SearchIndicators) from every
// shard's answer: the page's smallest sort keys over the shards not yet
// exhausted (common/query/shard_pages.h), without the copies of reports a
// reextract is moving (common/query/moving_reports.h), and the token of the
// next page.
#ifndef ZHIBIAO_SERVICES_QUERY_LISTING_PAGE_H_
#define ZHIBIAO_SERVICES_QUERY_LISTING_PAGE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/query/moving_reports.h"
#include "common/query/shard_pages.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "services/query/shard_fanout.h"

namespace zb::query {

// The moving reports of a listing's shard answers (every shard lists all its
// arriving reports, whatever the page).
template <typename Response>
MovingReports MovingReportsOf(const std::vector<ShardAnswer<Response>>& answers) {
  std::vector<const MovingReports::ArrivingList*> arriving(answers.size(), nullptr);
  for (size_t i = 0; i < answers.size(); ++i) {
    if (answers[i].status.ok()) arriving[i] = &answers[i].response.arriving();
  }
  return MovingReports(arriving);
}

// Moves the page taken from `answers` (one per shard, in shard order) into
// `page`, and sets `next_page_token` ("" on the last page). `items` picks a
// response's repeated field, `key_of` an item's sort key and
// `report_id_of` the report it belongs to. A report on its way to another
// shard is listed once, as its new copy (the page may then be one shorter;
// the cursors have passed it). Fails, naming them, when a shard not yet
// exhausted did not answer.
template <typename Response, typename Item, typename KeyOf, typename ReportIdOf>
absl::Status MergeListingPage(std::vector<ShardAnswer<Response>>& answers, int page_size,
                              std::vector<ShardCursor> cursors,
                              google::protobuf::RepeatedPtrField<Item>* (Response::*items)(),
                              KeyOf key_of, ReportIdOf report_id_of,
                              google::protobuf::RepeatedPtrField<Item>* page,
                              std::string* next_page_token) {
  std::vector<ShardAnswer<Response>> failed;
  for (size_t i = 0; i < answers.size(); ++i) {
    if (!cursors[i].exhausted && !answers[i].status.ok()) failed.push_back(answers[i]);
  }
  if (!failed.empty()) return AllShardsOk(failed);
  std::vector<std::vector<std::string>> keys(answers.size());
  std::vector<bool> has_next(answers.size(), false);
  for (size_t i = 0; i < answers.size(); ++i) {
    if (cursors[i].exhausted) continue;
    for (const Item& item : *(answers[i].response.*items)()) keys[i].push_back(key_of(item));
    has_next[i] = !answers[i].response.next_page_token().empty();
  }
  std::vector<std::pair<size_t, size_t>> taken;
  const bool more = TakePage(keys, has_next, page_size, &cursors, &taken);
  const MovingReports moving = MovingReportsOf(answers);
  for (const auto& [shard, i] : taken) {
    Item& item = *(answers[shard].response.*items)()->Mutable(static_cast<int>(i));
    if (moving.LeftOut(shard, report_id_of(item))) continue;
    *page->Add() = std::move(item);
  }
  next_page_token->clear();
  if (more) *next_page_token = EncodeListToken(cursors);
  return absl::OkStatus();
}

}  // namespace zb::query

#endif  // ZHIBIAO_SERVICES_QUERY_LISTING_PAGE_H_
