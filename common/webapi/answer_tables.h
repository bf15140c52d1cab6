// Query answers as tables an analyst downloads: the rows and columns of a
// Rank, TimeSeries, Compare, Aggregate, SearchIndicators, ListReports,
// ListMetrics or ListRegions reply, with Chinese headers and region names beside codes.
// The same rows the dashboard shows; table_files.h writes them as CSV or XLSX.
#ifndef ZHIBIAO_COMMON_WEBAPI_ANSWER_TABLES_H_
#define ZHIBIAO_COMMON_WEBAPI_ANSWER_TABLES_H_

#include <optional>
#include <string>
#include <vector>

#include <google/protobuf/message.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/regions/regions.h"

namespace zb::webapi {

// A cell: text, or a number written as a number in XLSX and with up to 15
// significant digits in CSV.
struct Cell {
  std::string text;
  std::optional<double> number;
};
Cell TextCell(std::string text);
Cell NumberCell(double value);

struct Table {
  std::string name;  // sheet and file name: "Rank economy.gdp 2026"
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;
};

// Whether `method` has a table (GetReport and GetSection are documents).
bool HasAnswerTable(absl::string_view method);
// UNIMPLEMENTED: `method` has no table; the message names those that have.
absl::Status NoAnswerTable(absl::string_view method);

// The table of `reply`, a reply of `method`; UNIMPLEMENTED naming the
// methods that have tables for any other. Region names come from `regions`.
absl::StatusOr<Table> AnswerTable(absl::string_view method, const google::protobuf::Message& reply,
                                  const regions::RegionTable& regions);

}  // namespace zb::webapi

#endif  // ZHIBIAO_COMMON_WEBAPI_ANSWER_TABLES_H_
