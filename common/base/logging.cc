#include "common/base/logging.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace zb {
namespace {

std::atomic<int> min_level{static_cast<int>(LogLevel::kInfo)};

absl::Mutex service_mu;
std::string& ServiceName() ABSL_EXCLUSIVE_LOCKS_REQUIRED(service_mu) {
  static auto* name = new std::string();
  return *name;
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kError: return "error";
  }
  return "info";
}

}  // namespace

// One JSON line on stderr (defined below).
static void WriteLine(absl::string_view level_name, absl::string_view event,
                      std::initializer_list<LogField> fields);

void SetMinLogLevel(LogLevel level) { min_level.store(static_cast<int>(level)); }

bool SetMinLogLevelByName(absl::string_view name) {
  if (name == "debug")
    SetMinLogLevel(LogLevel::kDebug);
  else if (name == "info")
    SetMinLogLevel(LogLevel::kInfo);
  else if (name == "warning")
    SetMinLogLevel(LogLevel::kWarning);
  else if (name == "error")
    SetMinLogLevel(LogLevel::kError);
  else
    return false;
  return true;
}

void SetLogService(absl::string_view service) {
  absl::MutexLock lock(&service_mu);
  ServiceName() = std::string(service);
}

void AppendJsonString(absl::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", static_cast<int>(c));
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

void LogAudit(absl::string_view who, absl::string_view action, absl::string_view report_id,
              const absl::Status& result, absl::string_view request_id, absl::string_view outcome) {
  const std::string code = absl::StatusCodeToString(result.code());
  WriteLine("audit", "audit",
            {{"who", who},
             {"action", action},
             {"report_id", report_id},
             {"result", result.ok() ? (outcome.empty() ? absl::string_view("OK") : outcome)
                                    : absl::string_view(code)},
             {"message", result.message()},
             {"request_id", request_id}});
}

bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) >= min_level.load(std::memory_order_relaxed);
}

void Log(LogLevel level, absl::string_view event, std::initializer_list<LogField> fields) {
  if (static_cast<int>(level) < min_level.load(std::memory_order_relaxed)) return;
  WriteLine(LevelName(level), event, fields);
}

static void WriteLine(absl::string_view level_name, absl::string_view event,
                      std::initializer_list<LogField> fields) {
  std::string line = "{\"ts\":";
  AppendJsonString(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
                   &line);
  line.append(",\"level\":");
  AppendJsonString(level_name, &line);
  {
    absl::MutexLock lock(&service_mu);
    if (!ServiceName().empty()) {
      line.append(",\"service\":");
      AppendJsonString(ServiceName(), &line);
    }
  }
  line.append(",\"event\":");
  AppendJsonString(event, &line);
  for (const LogField& field : fields) {
    line.push_back(',');
    AppendJsonString(field.key, &line);
    line.push_back(':');
    AppendJsonString(field.value, &line);
  }
  line.append("}\n");
  // One write(2) per line keeps lines whole when several threads log at once.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace zb
