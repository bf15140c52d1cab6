#include "common/query/moving_reports.h"

#include <algorithm>

namespace zb::query {

MovingReports::MovingReports(const std::vector<const ArrivingList*>& arriving)
    : arriving_here_(arriving.size()) {
  for (size_t i = 0; i < arriving.size(); ++i) {
    if (arriving[i] == nullptr) continue;
    for (const zhibiao::v1::ArrivingReport& a : *arriving[i]) {
      arriving_here_[i].insert(a.report_id());
      if (!a.replaces_report_id().empty()) replaced_.insert(a.replaces_report_id());
    }
  }
}

bool MovingReports::LeftOut(size_t position, absl::string_view report_id) const {
  if (replaced_.empty() || !replaced_.contains(report_id)) return false;
  return position >= arriving_here_.size() || !arriving_here_[position].contains(report_id);
}

std::vector<std::string> MovingReports::ExclusionsFor(size_t position) const {
  std::vector<std::string> out;
  for (const std::string& id : replaced_) {
    if (LeftOut(position, id)) out.push_back(id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace zb::query
