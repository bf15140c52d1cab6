// Bytes to UTF-8: detects the encoding of a text document (UTF-8 with or
// without BOM, UTF-16LE/BE with BOM, GB18030/GBK without declaration) and
// converts it with ICU.
#ifndef ZHIBIAO_COMMON_TEXT_DECODE_H_
#define ZHIBIAO_COMMON_TEXT_DECODE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zb::text {

struct DecodedText {
  std::string utf8;  // without BOM; line ends as in the input
  std::string
      encoding;  // "UTF-8", "UTF-8-BOM", "UTF-16LE", "UTF-16BE", "GB18030", or a charset name
};

// Detects the encoding of `bytes` and converts them to UTF-8.
// Errors (all INVALID_ARGUMENT, with the byte offset where it helps):
// - invalid UTF-8 in a document that is otherwise UTF-8;
// - bytes that are neither UTF-8 nor GB18030 (binary data).
absl::StatusOr<DecodedText> DecodeToUtf8(absl::string_view bytes);

// Converts `bytes` from the named charset (an HTML <meta charset>, "gbk",
// "gb2312", "utf-8", ...) to UTF-8. GBK and GB2312 are read as GB18030, their
// superset. INVALID_ARGUMENT for unknown charsets or undecodable bytes.
absl::StatusOr<std::string> ConvertToUtf8(absl::string_view bytes, absl::string_view charset);

// Byte offset of the first invalid UTF-8 sequence in `bytes`, or npos.
size_t FindInvalidUtf8(absl::string_view bytes);

}  // namespace zb::text

#endif  // ZHIBIAO_COMMON_TEXT_DECODE_H_
