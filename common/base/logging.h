// Structured logging: one JSON object per line on stderr, so that container
// log collectors can index fields without parsing prose.
//
//   zb::LogInfo("report_stored", {{"report_id", id}, {"indicators", n}});
//   {"ts":"2026-11-25T01:02:03.456Z","level":"info","event":"report_stored",
//    "report_id":"1f…","indicators":"76"}
//
// Thread-safe: each line is written with one call.
#ifndef ZHIBIAO_COMMON_BASE_LOGGING_H_
#define ZHIBIAO_COMMON_BASE_LOGGING_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace zb {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// One key/value of a log line; numbers are converted with absl::StrCat.
struct LogField {
  template <typename T>
  LogField(absl::string_view k, const T& v) : key(k), value(absl::StrCat(v)) {}
  LogField(absl::string_view k, absl::string_view v) : key(k), value(v) {}
  LogField(absl::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(absl::string_view k, const char* v) : key(k), value(v) {}
  std::string key;
  std::string value;
};

// Lines below `level` are dropped. Default kInfo; set once at start-up.
void SetMinLogLevel(LogLevel level);
// Sets the level from "debug", "info", "warning" or "error"; false otherwise.
bool SetMinLogLevelByName(absl::string_view name);
// Name of the process in every line ("service" field), e.g. "storage".
void SetLogService(absl::string_view service);

// Whether lines of `level` are written (to skip building costly fields).
bool LogEnabled(LogLevel level);

void Log(LogLevel level, absl::string_view event, std::initializer_list<LogField> fields);
inline void LogDebug(absl::string_view event, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kDebug, event, fields);
}
inline void LogInfo(absl::string_view event, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kInfo, event, fields);
}
inline void LogWarning(absl::string_view event, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kWarning, event, fields);
}
inline void LogError(absl::string_view event, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kError, event, fields);
}

// Appends `s` to `out` as a JSON string literal (with quotes), escaping as RFC 8259 requires.
// The audit line of a write or delete: who asked, what they did, to which
// report, with what result. Written whatever the log level ("level":"audit").
void LogAudit(absl::string_view who, absl::string_view action, absl::string_view report_id,
              const absl::Status& result, absl::string_view request_id,
              absl::string_view outcome = "");

void AppendJsonString(absl::string_view s, std::string* out);

}  // namespace zb

#endif  // ZHIBIAO_COMMON_BASE_LOGGING_H_
