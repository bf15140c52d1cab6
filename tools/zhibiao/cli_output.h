// What every command of the CLI prints with: numbers and padded columns for
// a terminal (CJK text takes two columns), bars, region names, report
// summaries, and the CSV/XLSX answer files of --format.
#ifndef ZHIBIAO_TOOLS_ZHIBIAO_CLI_OUTPUT_H_
#define ZHIBIAO_TOOLS_ZHIBIAO_CLI_OUTPUT_H_

#include <optional>
#include <string>

#include <google/protobuf/message.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/zhibiao/cli.h"
#include "zhibiao/v1/report.pb.h"

namespace zb::cli {

// The whole file at `path`; NOT_FOUND naming it when it cannot be opened.
absl::StatusOr<std::string> ReadFile(const std::string& path);
// A figure for a table: integers without decimals, others with up to four.
std::string FormatNumber(double v);
// Terminal columns of UTF-8 text: CJK and full-width characters take two.
size_t DisplayWidth(absl::string_view s);
// `s` padded with spaces to `width` terminal columns (left-aligned).
std::string Pad(absl::string_view s, size_t width);
// The region's name from the GB/T 2260 table ("" for an unknown code).
std::string RegionNameOf(const std::string& code);
// A bar of up to `width` cells for `value` out of `max` (eighths of a cell).
std::string Bar(double value, double max, int width);
// With --format=csv or xlsx: writes `reply` (a reply of QueryService's
// `method`) as the table the web view downloads, to --output or (csv)
// stdout, and returns the exit status; nullopt for the other formats.
std::optional<int> WriteAnswerFile(const CliOptions& options, absl::string_view method,
                                   const google::protobuf::Message& reply);
// Metadata, sections and (with_indicators) every indicator of a report, for
// `zhibiao parse` and `zhibiao reports show`.
void PrintReportSummary(const zhibiao::v1::Report& report, bool with_indicators);

}  // namespace zb::cli

#endif  // ZHIBIAO_TOOLS_ZHIBIAO_CLI_OUTPUT_H_
