// Calendar dates as Chinese reports write them: 2022年2月25日, 2022-02-25,
// 2022.2.25, 2022/2/25 and 二〇二二年二月二十五日.
#ifndef ZHIBIAO_COMMON_DOC_DATES_H_
#define ZHIBIAO_COMMON_DOC_DATES_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace zb::doc {

struct Date {
  int year = 0;
  int month = 0;
  int day = 0;
  std::string Iso() const;  // "2022-02-25"
};

// Parses a date at the start of `s`; on success sets *length to the bytes it used.
std::optional<Date> ParseDatePrefix(absl::string_view s, size_t* length);

// A line that is only a date (white space around it allowed).
std::optional<Date> ParseDateLine(absl::string_view line);

}  // namespace zb::doc

#endif  // ZHIBIAO_COMMON_DOC_DATES_H_
