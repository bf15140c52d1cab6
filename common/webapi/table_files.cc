#include "common/webapi/table_files.h"

#include <unistd.h>
#include <xlsxwriter.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace zb::webapi {
namespace {

// A text cell a spreadsheet would read as a formula gets an apostrophe first.
std::string Inert(const std::string& text) {
  if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@' ||
                        text[0] == '\t' || text[0] == '\r')) {
    return "'" + text;
  }
  return text;
}

void AppendCsvField(const std::string& field, std::string* out) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) {
    *out += field;
    return;
  }
  *out += '"';
  for (const char c : field) {
    if (c == '"') *out += '"';
    *out += c;
  }
  *out += '"';
}

// Excel's sheet names: at most 31 characters, none of []:*?/\ .
std::string SheetName(const std::string& name) {
  std::string out;
  for (const char c : name) {
    if (std::string("[]:*?/\\").find(c) != std::string::npos) continue;
    out += c;
    if (out.size() >= 31) break;
  }
  return out.empty() ? "Sheet1" : out;
}

}  // namespace

std::string ToCsv(const Table& table, bool byte_order_mark) {
  std::string out = byte_order_mark ? "\xEF\xBB\xBF" : "";
  for (size_t c = 0; c < table.columns.size(); ++c) {
    if (c > 0) out += ',';
    AppendCsvField(table.columns[c], &out);
  }
  out += "\r\n";
  for (const std::vector<Cell>& row : table.rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      if (c > 0) out += ',';
      AppendCsvField(row[c].number ? row[c].text : Inert(row[c].text), &out);
    }
    out += "\r\n";
  }
  return out;
}

absl::StatusOr<std::string> ToXlsx(const Table& table, const std::string& tmp_dir) {
  std::string path = absl::StrCat(tmp_dir, "/zhibiao-XXXXXX");
  const int fd = mkstemp(path.data());
  if (fd < 0)
    return absl::InternalError(absl::StrCat("cannot create a temporary file in ", tmp_dir));
  close(fd);
  lxw_workbook_options options = {};
  options.tmpdir = const_cast<char*>(tmp_dir.c_str());
  lxw_workbook* workbook = workbook_new_opt(path.c_str(), &options);
  if (workbook == nullptr) {
    std::remove(path.c_str());
    return absl::InternalError("libxlsxwriter could not start a workbook");
  }
  lxw_worksheet* sheet = workbook_add_worksheet(workbook, SheetName(table.name).c_str());
  lxw_format* header = workbook_add_format(workbook);
  format_set_bold(header);
  for (size_t c = 0; c < table.columns.size(); ++c) {
    worksheet_write_string(sheet, 0, static_cast<lxw_col_t>(c), table.columns[c].c_str(), header);
  }
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const auto row = static_cast<lxw_row_t>(r + 1);
    for (size_t c = 0; c < table.rows[r].size(); ++c) {
      const Cell& cell = table.rows[r][c];
      const auto col = static_cast<lxw_col_t>(c);
      if (cell.number) {
        worksheet_write_number(sheet, row, col, *cell.number, nullptr);
      } else if (!cell.text.empty()) {
        worksheet_write_string(sheet, row, col, cell.text.c_str(), nullptr);
      }
    }
  }
  const lxw_error closed = workbook_close(workbook);
  if (closed != LXW_NO_ERROR) {
    std::remove(path.c_str());
    return absl::InternalError(absl::StrCat("libxlsxwriter: ", lxw_strerror(closed)));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::remove(path.c_str());
  return bytes.str();
}

}  // namespace zb::webapi
