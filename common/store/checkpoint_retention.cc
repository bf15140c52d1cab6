#include "common/store/checkpoint_retention.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/base/logging.h"

namespace zb::store {
namespace {

namespace fs = std::filesystem;

// When a marked checkpoint was written (its marker's first line), or nullopt
// for a directory without a readable marker.
std::optional<int64_t> MarkedAt(const fs::path& directory) {
  std::ifstream in(directory / kCheckpointMarker);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  absl::string_view value = line;
  int64_t millis = 0;
  if (!absl::ConsumePrefix(&value, "created_unix_ms=") || !absl::SimpleAtoi(value, &millis))
    return std::nullopt;
  return millis;
}

// True when `path` is the live directory or one of its parents.
bool HoldsLiveData(const fs::path& path, const fs::path& live) {
  std::error_code ec;
  const fs::path a = fs::weakly_canonical(path, ec);
  if (ec) return true;  // cannot tell: leave it
  const fs::path b = fs::weakly_canonical(live, ec);
  if (ec) return true;
  return std::mismatch(a.begin(), a.end(), b.begin(), b.end()).first == a.end();
}

}  // namespace

absl::Status WriteCheckpointMarker(const std::string& directory, absl::Time created,
                                   int64_t reports) {
  const fs::path file = fs::path(directory) / kCheckpointMarker;
  std::ofstream out(file, std::ios::trunc);
  out << "created_unix_ms=" << absl::ToUnixMillis(created) << "\n"
      << "created=" << absl::FormatTime(absl::RFC3339_sec, created, absl::UTCTimeZone()) << "\n"
      << "reports=" << reports << "\n";
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", file.string()));
  return absl::OkStatus();
}

std::vector<std::string> PruneCheckpoints(const std::string& directory, int keep,
                                          const std::string& live_data_dir) {
  std::vector<std::string> removed;
  if (keep <= 0) return removed;
  const fs::path self(directory);
  const fs::path root = self.parent_path().parent_path();
  const fs::path leaf = self.filename();
  if (root.empty() || leaf.empty()) return removed;
  std::vector<std::pair<int64_t, fs::path>> others;  // (written at, directory)
  std::error_code ec;
  for (const fs::directory_entry& run : fs::directory_iterator(root, ec)) {
    const fs::path candidate = run.path() / leaf;
    if (candidate == self || !fs::is_directory(candidate, ec)) continue;
    std::optional<int64_t> at = MarkedAt(candidate);
    if (!at.has_value() || HoldsLiveData(candidate, live_data_dir)) continue;
    others.emplace_back(*at, candidate);
  }
  if (static_cast<int>(others.size()) < keep) return removed;
  // Newest first (by name among those of the same millisecond: run names are
  // times); the new checkpoint is one of the `keep`.
  std::sort(others.begin(), others.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second > b.second;
  });
  for (size_t i = static_cast<size_t>(keep - 1); i < others.size(); ++i) {
    const fs::path& old = others[i].second;
    fs::remove_all(old, ec);
    if (ec) {
      LogWarning("checkpoint_prune_failed", {{"directory", old.string()}, {"error", ec.message()}});
      continue;
    }
    removed.push_back(old.string());
    LogInfo("checkpoint_removed", {{"directory", old.string()}, {"kept", keep}});
    // ROOT/NAME goes once every shard's checkpoint in it is gone.
    if (fs::is_empty(old.parent_path(), ec) && !ec) fs::remove(old.parent_path(), ec);
  }
  return removed;
}

}  // namespace zb::store
