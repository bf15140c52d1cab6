// What `zhibiao ingest` and `zhibiao parse` tell the pipeline about each file
// (zhibiao.v1.ReportHints): the --hint_* flags for a single file, or a
// manifest (CSV, a header row naming `path` and any of region_code,
// report_year, kind, issuer, published_date, source_url, title) for many.
// Manifest paths are relative to the manifest's folder.
#ifndef ZHIBIAO_TOOLS_ZHIBIAO_HINTS_H_
#define ZHIBIAO_TOOLS_ZHIBIAO_HINTS_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "zhibiao/v1/report.pb.h"

namespace zb::cli {

// The kind named as the CLI prints it (rule_of_law, work_report,
// statistics, other) or in Chinese (法治政府建设报告, 政府工作报告, 统计公报).
absl::StatusOr<zhibiao::v1::DocumentKind> ParseKind(absl::string_view name);

// Hints by file path (as given, and as the canonical absolute path).
class HintBook {
 public:
  // Reads a manifest; INVALID_ARGUMENT naming the line for a row that does not parse.
  static absl::StatusOr<HintBook> FromManifest(const std::string& path);

  void Set(const std::string& file, zhibiao::v1::ReportHints hints);
  // The hints of `file`, or `fallback` when the book has none for it.
  const zhibiao::v1::ReportHints& For(const std::string& file,
                                      const zhibiao::v1::ReportHints& fallback) const;
  size_t size() const { return by_path_.size(); }

 private:
  std::map<std::string, zhibiao::v1::ReportHints> by_path_;
};

}  // namespace zb::cli

#endif  // ZHIBIAO_TOOLS_ZHIBIAO_HINTS_H_
