#include "common/text/decode.h"

#include <algorithm>
#include <memory>
#include <optional>

#include <unicode/ucnv.h>
#include <unicode/ucnv_err.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace zb::text {
namespace {

// Length of the valid UTF-8 sequence at `p` (1..4), or 0 if invalid.
int Utf8SequenceLength(const unsigned char* p, size_t left) {
  const unsigned char c = p[0];
  if (c < 0x80) return 1;
  int len;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (left < static_cast<size_t>(len)) return 0;
  for (int i = 1; i < len; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return len;
}

struct ConverterCloser {
  void operator()(UConverter* c) const { ucnv_close(c); }
};

// Converts strictly: any unmappable or illegal byte is an error with its offset.
absl::StatusOr<std::string> ConvertStrict(absl::string_view bytes, const char* charset) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<UConverter, ConverterCloser> from(ucnv_open(charset, &status));
  if (U_FAILURE(status)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown charset \"", charset, "\""));
  }
  ucnv_setToUCallBack(from.get(), UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);
  std::unique_ptr<UConverter, ConverterCloser> to(ucnv_open("UTF-8", &status));
  if (U_FAILURE(status)) return absl::InternalError("ICU has no UTF-8 converter");

  std::string out;
  out.resize(bytes.size() * 2 + 16);
  UChar pivot[1024];
  UChar* pivot_source = pivot;
  UChar* pivot_target = pivot;
  char* target = out.data();
  const char* source = bytes.data();
  const char* source_limit = bytes.data() + bytes.size();
  while (true) {
    status = U_ZERO_ERROR;
    ucnv_convertEx(to.get(), from.get(), &target, out.data() + out.size(), &source, source_limit,
                   pivot, &pivot_source, &pivot_target, pivot + 1024, /*reset=*/false,
                   /*flush=*/true, &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) {
      const size_t used = target - out.data();
      out.resize(out.size() * 2);
      target = out.data() + used;
      continue;
    }
    break;
  }
  if (U_FAILURE(status)) {
    const size_t offset = source - bytes.data();
    return absl::InvalidArgumentError(
        absl::StrCat("bytes are not valid ", charset, " near byte offset ", offset));
  }
  out.resize(target - out.data());
  return out;
}

// UTF-16 without a byte order mark, as some Windows tools save text: its
// NUL bytes (the high bytes of ASCII digits, punctuation and line ends) sit
// on one parity, and read in that byte order nearly every code unit is
// text. Returns the byte order (true: little-endian) or nothing.
bool IsTextCodeUnit(uint32_t u) {
  return (u >= 0x20 && u < 0x7F) || u == '\n' || u == '\r' || u == '\t' ||
         (u >= 0x4E00 && u <= 0x9FFF) || (u >= 0x3000 && u <= 0x303F) ||
         (u >= 0xFF00 && u <= 0xFFEF) || (u >= 0x2000 && u <= 0x206F) || u == 0xA0 ||
         (u >= 0x3400 && u <= 0x4DBF) || (u >= 0x2460 && u <= 0x24FF) || u == 0xB7 || u == 0xD7;
}

std::optional<bool> DetectUtf16WithoutBom(absl::string_view bytes) {
  if (bytes.size() < 4 || bytes.size() % 2 != 0) return std::nullopt;
  const absl::string_view head =
      bytes.substr(0, std::min<size_t>(bytes.size(), 1 << 16) & ~size_t{1});
  int64_t nul_even = 0, nul_odd = 0;
  for (size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\0') ++(i % 2 == 0 ? nul_even : nul_odd);
  }
  if (nul_even + nul_odd == 0) return std::nullopt;
  // CJK characters such as 一 (U+4E00) put NULs on the other parity too, so
  // the parity only suggests the order; the text share decides.
  const auto* p = reinterpret_cast<const unsigned char*>(head.data());
  const int64_t units = static_cast<int64_t>(head.size() / 2);
  int64_t text_le = 0, text_be = 0;
  for (int64_t k = 0; k < units; ++k) {
    if (IsTextCodeUnit(p[2 * k] | (p[2 * k + 1] << 8))) ++text_le;
    if (IsTextCodeUnit((p[2 * k] << 8) | p[2 * k + 1])) ++text_be;
  }
  const bool little = text_le >= text_be;
  const int64_t best = little ? text_le : text_be, other = little ? text_be : text_le;
  if (best < units * 9 / 10 || other > units * 6 / 10) return std::nullopt;
  if ((little ? nul_odd : nul_even) * 2 < nul_even + nul_odd) return std::nullopt;
  return little;
}

}  // namespace

size_t FindInvalidUtf8(absl::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t i = 0;
  while (i < bytes.size()) {
    // Fast path for ASCII runs.
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const int len = Utf8SequenceLength(p + i, bytes.size() - i);
    if (len == 0) return i;
    i += len;
  }
  return absl::string_view::npos;
}

absl::StatusOr<std::string> ConvertToUtf8(absl::string_view bytes, absl::string_view charset) {
  std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(charset));
  if (name == "utf-8" || name == "utf8") {
    const size_t bad = FindInvalidUtf8(bytes);
    if (bad != absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid UTF-8 at byte offset ", bad, " of a document declared UTF-8"));
    }
    return std::string(bytes);
  }
  if (name == "gbk" || name == "gb2312" || name == "gb_2312-80" || name == "x-gbk" ||
      name == "cp936" || name == "gb18030") {
    name = "GB18030";
  }
  return ConvertStrict(bytes, name.c_str());
}

namespace {

// A document that is not valid UTF-8 from the start (the first invalid byte
// at `bad`): GB18030, or INVALID_ARGUMENT for damaged UTF-8 or binary data.
absl::StatusOr<std::string> DecodeNonUtf8(absl::string_view bytes, size_t bad) {
  // Not UTF-8 from the start. A document whose first part is clearly UTF-8
  // (many valid multi-byte sequences) and then breaks is a damaged UTF-8
  // document, not a GB18030 one: say so rather than decode it as mojibake.
  int multibyte_before_bad = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  for (size_t i = 0; i < bad;) {
    const int len = p[i] < 0x80 ? 1 : Utf8SequenceLength(p + i, bad - i);
    if (len > 1) ++multibyte_before_bad;
    i += len > 0 ? len : 1;
  }
  if (multibyte_before_bad >= 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid UTF-8 at byte offset ", bad, " after ", multibyte_before_bad,
                     " valid multi-byte characters: the document is damaged UTF-8"));
  }
  if (bytes.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("binary data: NUL byte at offset ",
                                                   bytes.find('\0'), "; not a text document"));
  }
  absl::StatusOr<std::string> gb = ConvertStrict(bytes, "GB18030");
  if (!gb.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("binary data or unknown encoding: not UTF-8 (invalid at byte offset ", bad,
                     ") and not GB18030 (", gb.status().message(), ")"));
  }
  // GB18030 maps almost every byte pair; require the result to look like text.
  int control = 0;
  for (unsigned char c : *gb) {
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f') ++control;
  }
  if (control > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("binary data: ", control, " control characters; not a text document"));
  }
  return *std::move(gb);
}

}  // namespace

absl::StatusOr<DecodedText> DecodeToUtf8(absl::string_view bytes) {
  DecodedText out;
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF") {
    absl::string_view body = bytes.substr(3);
    const size_t bad = FindInvalidUtf8(body);
    if (bad != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("invalid UTF-8 at byte offset ", bad + 3,
                                                     " of a document with a UTF-8 BOM"));
    }
    out.utf8 = std::string(body);
    out.encoding = "UTF-8-BOM";
    return out;
  }
  if (bytes.size() >= 2 && (bytes.substr(0, 2) == "\xFF\xFE" || bytes.substr(0, 2) == "\xFE\xFF")) {
    const bool little = bytes[0] == '\xFF';
    absl::StatusOr<std::string> converted =
        ConvertStrict(bytes.substr(2), little ? "UTF-16LE" : "UTF-16BE");
    if (!converted.ok()) return converted.status();
    out.utf8 = *std::move(converted);
    out.encoding = little ? "UTF-16LE" : "UTF-16BE";
    return out;
  }
  if (std::optional<bool> little = DetectUtf16WithoutBom(bytes)) {
    absl::StatusOr<std::string> converted = ConvertStrict(bytes, *little ? "UTF-16LE" : "UTF-16BE");
    if (!converted.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("text looks like UTF-16", *little ? "LE" : "BE",
                       " without a byte order mark but does not "
                       "decode as such (",
                       converted.status().message(), "); save it as UTF-8 or with a BOM"));
    }
    out.utf8 = *std::move(converted);
    out.encoding = *little ? "UTF-16LE" : "UTF-16BE";
    return out;
  }
  const size_t bad = FindInvalidUtf8(bytes);
  if (bad == absl::string_view::npos) {
    if (bytes.find('\0') != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "binary data: NUL byte at offset ", bytes.find('\0'), " in a document without a BOM"));
    }
    out.utf8 = std::string(bytes);
    out.encoding = "UTF-8";
    return out;
  }
  absl::StatusOr<std::string> gb = DecodeNonUtf8(bytes, bad);
  if (!gb.ok()) return gb.status();
  out.utf8 = *std::move(gb);
  out.encoding = "GB18030";
  return out;
}

}  // namespace zb::text
