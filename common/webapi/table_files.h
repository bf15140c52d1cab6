// A Table as the files an analyst opens: CSV (RFC 4180, UTF-8, optionally
// with a byte-order mark so Excel reads it as UTF-8) and XLSX (one sheet,
// written with libxlsxwriter). Report text is untrusted: a text cell is
// never a formula in either file (CSV cells that a spreadsheet would take
// for one, starting with = + - @ tab or CR, get a leading apostrophe; XLSX
// cells are written as strings).
#ifndef ZHIBIAO_COMMON_WEBAPI_TABLE_FILES_H_
#define ZHIBIAO_COMMON_WEBAPI_TABLE_FILES_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/webapi/answer_tables.h"

namespace zb::webapi {

std::string ToCsv(const Table& table, bool byte_order_mark);

// The bytes of an .xlsx file; INTERNAL when libxlsxwriter fails (it writes
// through a temporary file in `tmp_dir`, removed before returning).
absl::StatusOr<std::string> ToXlsx(const Table& table, const std::string& tmp_dir = "/tmp");

}  // namespace zb::webapi

#endif  // ZHIBIAO_COMMON_WEBAPI_TABLE_FILES_H_
