// Which copies of a report a query leaves out while `zhibiao admin reextract`
// moves it (docs/storage.md, "Moving a report"). The new copy is stored with
// an arriving mark naming the id it replaces; every shard answer lists the
// marked reports it holds (lists, search) or counted (aggregates). A query
// counts the arriving copy and leaves the replaced one out wherever it still
// is: on another shard (a move) or on the same one under the old id.
#ifndef ZHIBIAO_COMMON_QUERY_MOVING_REPORTS_H_
#define ZHIBIAO_COMMON_QUERY_MOVING_REPORTS_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "zhibiao/v1/storage.pb.h"

namespace zb::query {

class MovingReports {
 public:
  using ArrivingList = google::protobuf::RepeatedPtrField<zhibiao::v1::ArrivingReport>;
  // The arriving reports of each answer, by answer position (nullptr: no
  // answer from that position).
  explicit MovingReports(const std::vector<const ArrivingList*>& arriving);

  bool empty() const { return replaced_.empty(); }
  // Whether the copy of `report_id` in answer `position` is one an arriving
  // report replaces (and not itself the arriving copy).
  bool LeftOut(size_t position, absl::string_view report_id) const;
  // The ids answer `position` must leave out, sorted.
  std::vector<std::string> ExclusionsFor(size_t position) const;

 private:
  absl::flat_hash_set<std::string> replaced_;
  std::vector<absl::flat_hash_set<std::string>> arriving_here_;  // by position
};

}  // namespace zb::query

#endif  // ZHIBIAO_COMMON_QUERY_MOVING_REPORTS_H_
