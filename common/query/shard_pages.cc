#include "common/query/shard_pages.h"

#include <algorithm>
#include <tuple>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace zb::query {

std::string EncodeListToken(const std::vector<ShardCursor>& cursors) {
  std::vector<std::string> parts;
  for (const ShardCursor& c : cursors) {
    parts.push_back(c.exhausted ? "-" : absl::StrCat("k", absl::WebSafeBase64Escape(c.last_key)));
  }
  return absl::WebSafeBase64Escape(absl::StrJoin(parts, "."));
}

absl::StatusOr<std::vector<ShardCursor>> DecodeListToken(absl::string_view token, int shards) {
  if (token.empty()) return std::vector<ShardCursor>(shards);
  std::string plain;
  if (!absl::WebSafeBase64Unescape(token, &plain)) {
    return absl::InvalidArgumentError("page_token is not a token this service issued");
  }
  std::vector<std::string> parts = absl::StrSplit(plain, '.');
  std::vector<ShardCursor> decoded(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] == "-") {
      decoded[i].exhausted = true;
    } else if (parts[i].empty() || parts[i][0] != 'k' ||
               !absl::WebSafeBase64Unescape(parts[i].substr(1), &decoded[i].last_key)) {
      return absl::InvalidArgumentError("page_token is not a token this service issued");
    }
  }
  if (static_cast<int>(decoded.size()) != shards) {
    return absl::InvalidArgumentError(absl::StrCat("page_token was issued for ", decoded.size(),
                                                   " storage shards; there are ", shards,
                                                   " now: start the listing again"));
  }
  return decoded;
}

bool TakePage(const std::vector<std::vector<std::string>>& keys, const std::vector<bool>& has_next,
              int page_size, std::vector<ShardCursor>* cursors,
              std::vector<std::pair<size_t, size_t>>* taken) {
  std::vector<std::tuple<absl::string_view, size_t, size_t>> items;
  for (size_t shard = 0; shard < keys.size(); ++shard) {
    if ((*cursors)[shard].exhausted) continue;
    for (size_t i = 0; i < keys[shard].size(); ++i) items.emplace_back(keys[shard][i], shard, i);
  }
  std::sort(items.begin(), items.end());
  std::vector<size_t> taken_from(keys.size(), 0);
  for (size_t k = 0; k < items.size() && static_cast<int>(k) < page_size; ++k) {
    const auto& [key, shard, i] = items[k];
    taken->emplace_back(shard, i);
    (*cursors)[shard].last_key = std::string(key);
    ++taken_from[shard];
  }
  bool more = false;
  for (size_t shard = 0; shard < keys.size(); ++shard) {
    if ((*cursors)[shard].exhausted) continue;
    const bool shard_has_more = has_next[shard] || taken_from[shard] < keys[shard].size();
    if (!shard_has_more) (*cursors)[shard].exhausted = true;
    more = more || shard_has_more;
  }
  return more;
}

// The storage shard's own token is the escaped last key (IndicatorStore::List).
std::string ShardPageToken(absl::string_view last_key) {
  return last_key.empty() ? std::string() : absl::WebSafeBase64Escape(last_key);
}

absl::Status ValidatePageSize(int page_size) {
  if (page_size >= 0 && page_size <= 1000) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("page_size ", page_size, " is outside 0..1000"));
}

}  // namespace zb::query
