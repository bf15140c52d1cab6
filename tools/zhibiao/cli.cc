#include "tools/zhibiao/cli.h"
#include "tools/zhibiao/cli_calls.h"
#include "common/doc/metadata.h"
#include "tools/zhibiao/hints.h"

#include <fnmatch.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <thread>

#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/base/logging.h"
#include "common/extract/quantities.h"
#include "common/pipeline/report_builder.h"
#include "common/process/process.h"
#include "common/regions/regions.h"
#include "common/webapi/answer_tables.h"
#include "common/webapi/table_files.h"
#include "common/rpc/channels.h"
#include "zhibiao/v1/ingest.grpc.pb.h"
#include "zhibiao/v1/query.grpc.pb.h"
#include "zhibiao/v1/storage.grpc.pb.h"

namespace zb::cli {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return data;
}

std::string FormatNumber(double v) {
  // Range check first: casting a huge or non-finite double to int64 is undefined.
  if (std::abs(v) < 1e15 && v == static_cast<double>(static_cast<int64_t>(v))) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  std::string s = absl::StrFormat("%.4f", v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// Terminal columns of UTF-8 text: CJK and full-width characters take two.
size_t DisplayWidth(absl::string_view s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const int len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    width += len >= 3 ? 2 : 1;
    i += len;
  }
  return width;
}

// `s` padded with spaces to `width` terminal columns (left-aligned).
std::string Pad(absl::string_view s, size_t width) {
  std::string out(s);
  for (size_t w = DisplayWidth(s); w < width; ++w) out.push_back(' ');
  return out;
}

// The region's name from the GB/T 2260 table ("" for an unknown code).
std::string RegionNameOf(const std::string& code) { return regions::RegionTable::Default().NameOf(code); }

// A bar of up to `width` cells for `value` out of `max` (eighths of a cell).
std::string Bar(double value, double max, int width) {
  if (max <= 0 || value <= 0) return "";
  static const char* const kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  const int eighths = static_cast<int>(value / max * width * 8 + 0.5);
  std::string bar;
  for (int i = 0; i < eighths / 8; ++i) bar += "█";
  bar += kEighths[eighths % 8];
  return bar;
}

// With --format=csv or xlsx: writes `reply` (a reply of QueryService's
// `method`) as the table the web view downloads, to --output or (csv)
// stdout, and returns the exit status; nullopt for the other formats.
std::optional<int> WriteAnswerFile(const CliOptions& options, absl::string_view method,
                                   const google::protobuf::Message& reply) {
  if (options.format != "csv" && options.format != "xlsx") return std::nullopt;
  absl::StatusOr<webapi::Table> table = webapi::AnswerTable(method, reply, regions::RegionTable::Default());
  if (!table.ok()) {
    std::fprintf(stderr, "zhibiao: %s\n", std::string(table.status().message()).c_str());
    return 1;
  }
  std::string bytes;
  if (options.format == "csv") {
    bytes = webapi::ToCsv(*table, options.bom);
  } else {
    absl::StatusOr<std::string> xlsx = webapi::ToXlsx(*table, fs::temp_directory_path().string());
    if (!xlsx.ok()) {
      std::fprintf(stderr, "zhibiao: %s\n", std::string(xlsx.status().message()).c_str());
      return 1;
    }
    bytes = *std::move(xlsx);
  }
  if (options.output.empty()) {
    std::fwrite(bytes.data(), 1, bytes.size(), stdout);
    return 0;
  }
  std::ofstream out(options.output, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    std::fprintf(stderr, "zhibiao: cannot write %s\n", options.output.c_str());
    return 1;
  }
  std::fprintf(stderr, "wrote %zu rows to %s\n", table->rows.size(), options.output.c_str());
  return 0;
}

void PrintReportSummary(const zhibiao::v1::Report& report, bool with_indicators) {
  const auto& m = report.meta();
  std::printf("report_id   %s\n", m.report_id().c_str());
  std::printf("title       %s\n", m.title().c_str());
  std::printf("issuer      %s\n", m.issuer().c_str());
  std::printf("region      %s %s %s\n", m.region().name().c_str(), m.region().code().c_str(),
              m.region().province().c_str());
  std::printf("kind        %s\n", doc::KindName(m.kind()));
  std::printf("year        %d (reported on)\n", m.report_year());
  std::printf("published   %s\n", m.published_date().c_str());
  if (!m.delivered_date().empty()) std::printf("delivered   %s\n", m.delivered_date().c_str());
  std::printf("format      %s (%s)\n",
              zhibiao::v1::DocumentFormat_Name(m.format()).c_str(), m.detected_encoding().c_str());
  std::printf("sections    %d\n", report.sections_size());
  std::printf("indicators  %d\n", report.indicators_size());
  for (const auto& w : report.warnings()) {
    std::printf("warning     %s: %s\n", w.code().c_str(), w.message().c_str());
  }
  if (!with_indicators) return;
  std::printf("\n%-10s %-14s %-8s %-9s %-8s %s\n", "section", "value", "unit", "qualifier",
              "change", "subject");
  for (const auto& ind : report.indicators()) {
    const auto& q = ind.quantity();
    std::string value = q.qualifier() == zhibiao::v1::QUALIFIER_RANGE
                            ? absl::StrCat(FormatNumber(q.low()), "-", FormatNumber(q.high()))
                            : FormatNumber(q.value());
    const char* change = ind.change() == zhibiao::v1::CHANGE_INCREASE   ? "+"
                         : ind.change() == zhibiao::v1::CHANGE_DECREASE ? "-"
                                                                        : "";
    std::printf("%-10s %-14s %s %-9s %-8s %s%s\n", ind.section_id().c_str(), value.c_str(),
                Pad(q.unit(), 8).c_str(), extract::QualifierName(q.qualifier()), change,
                ind.subject().c_str(), ind.is_target() ? "  [target]" : "");
  }
}

// What a folder gives to ingest: the formats ingest reads, by name (a file
// named on the command line is sent whatever its name; ingest detects the
// format from the bytes). --include replaces these; --exclude takes from them.
constexpr absl::string_view kDocumentGlobs[] = {"*.txt", "*.text", "*.htm", "*.html", "*.pdf", "*.docx"};

// A glob matches a file's name, or, when it holds a '/', its path below the
// folder named on the command line (`2024/*.pdf`); case is ignored.
bool MatchesAny(const std::vector<std::string>& globs, const fs::path& relative) {
  const std::string name = relative.filename().string();
  const std::string path = relative.generic_string();
  for (const std::string& glob : globs) {
    const bool by_path = glob.find('/') != std::string::npos;
    if (fnmatch(glob.c_str(), by_path ? path.c_str() : name.c_str(), FNM_CASEFOLD) == 0) return true;
  }
  return false;
}

// Files named on the command line, folders expanded (recursively, sorted,
// documents only, or what --include/--exclude select), saying on stderr what
// a folder left out.
std::vector<std::string> ExpandInputs(const CliOptions& options, const std::vector<std::string>& args) {
  const std::vector<std::string> include =
      options.include_globs.empty()
          ? std::vector<std::string>(std::begin(kDocumentGlobs), std::end(kDocumentGlobs))
          : options.include_globs;
  std::vector<std::string> files;
  for (const std::string& arg : args) {
    std::error_code ec;
    if (!fs::is_directory(arg, ec)) {
      files.push_back(arg);
      continue;
    }
    std::vector<std::string> found;
    std::vector<std::string> not_included;
    std::vector<std::string> excluded;
    for (const auto& entry : fs::recursive_directory_iterator(arg, ec)) {
      if (!entry.is_regular_file()) continue;
      const fs::path relative = entry.path().lexically_relative(arg);
      if (!MatchesAny(include, relative)) {
        not_included.push_back(relative.generic_string());
      } else if (MatchesAny(options.exclude_globs, relative)) {
        excluded.push_back(relative.generic_string());
      } else {
        found.push_back(entry.path().string());
      }
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
    auto say = [&](std::vector<std::string> names, const std::string& why) {
      if (names.empty()) return;
      std::sort(names.begin(), names.end());
      const size_t shown = std::min<size_t>(names.size(), 5);
      std::fprintf(stderr, "ingest: %s: left out %zu files %s: %s%s\n", arg.c_str(), names.size(), why.c_str(),
                   absl::StrJoin(names.begin(), names.begin() + shown, ", ").c_str(),
                   names.size() > shown ? ", ..." : "");
    };
    say(not_included, options.include_globs.empty()
                          ? absl::StrCat("that are not documents (a folder gives ", absl::StrJoin(include, " "),
                                         "; --include changes that)")
                          : absl::StrCat("not matching --include=", absl::StrJoin(include, ",")));
    say(excluded, absl::StrCat("matching --exclude=", absl::StrJoin(options.exclude_globs, ",")));
  }
  return files;
}

// The ingest progress line on a terminal (stderr): a bar, done/total, the
// rate, the time left and the last file. Its own thread redraws it every
// 150 ms, so it moves while a large document is parsed; result lines (stdout)
// go through Print, which clears the line first and draws it again after.
class ProgressLine {
 public:
  explicit ProgressLine(size_t total) : total_(total), start_(absl::Now()) {
    thread_ = std::thread([this] {
      while (!stop_.WaitForNotificationWithTimeout(absl::Milliseconds(150))) {
        absl::MutexLock lock(&mu_);
        DrawLocked();
      }
    });
  }
  ~ProgressLine() { Finish(); }

  void Update(size_t done, absl::string_view name) {
    absl::MutexLock lock(&mu_);
    done_ = done;
    name_ = std::string(name.substr(name.size() > 40 ? name.size() - 40 : 0));
    DrawLocked();
  }
  // Runs `print` (which writes whole lines to stdout) with the line cleared.
  void Print(const std::function<void()>& print) {
    absl::MutexLock lock(&mu_);
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    print();
    std::fflush(stdout);
    DrawLocked();
  }
  // The last drawing, left on the terminal.
  void Finish() {
    if (finished_) return;
    finished_ = true;
    stop_.Notify();
    thread_.join();
    absl::MutexLock lock(&mu_);
    done_ = total_;
    name_.clear();
    DrawLocked();
    std::fprintf(stderr, "\n");
  }

 private:
  void DrawLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const int width = 30;
    const int filled = total_ == 0 ? width : static_cast<int>(width * done_ / total_);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(width - filled), '.');
    const double seconds = std::max(1e-3, absl::ToDoubleSeconds(absl::Now() - start_));
    const double rate = static_cast<double>(done_) / seconds;
    std::string eta = "--";
    if (done_ >= total_) {
      eta = absl::StrFormat("%.0fs total", seconds);
    } else if (rate > 0) {
      eta = absl::StrFormat("%.0fs left", static_cast<double>(total_ - done_) / rate);
    }
    std::fprintf(stderr, "\r\033[K[%s] %zu/%zu  %.1f files/s  %s  %s", bar.c_str(), done_, total_, rate,
                 eta.c_str(), name_.c_str());
    std::fflush(stderr);
  }

  const size_t total_;
  const absl::Time start_;
  absl::Mutex mu_;
  size_t done_ ABSL_GUARDED_BY(mu_) = 0;
  std::string name_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  bool finished_ = false;
  std::thread thread_;
};

const char* OutcomeWord(zhibiao::v1::IngestOutcome outcome) {
  switch (outcome) {
    case zhibiao::v1::INGEST_OUTCOME_STORED: return "stored";
    case zhibiao::v1::INGEST_OUTCOME_UNCHANGED: return "unchanged";
    case zhibiao::v1::INGEST_OUTCOME_REPLACED: return "replaced";
    default: return "unknown";
  }
}

}  // namespace

int Parse(const CliOptions& options, const std::vector<std::string>& args) {
  if (args.size() != 1) {
    std::fprintf(stderr, "usage: zhibiao parse FILE [--json]\n");
    return 2;
  }
  absl::StatusOr<std::string> content = ReadFile(args[0]);
  if (!content.ok()) {
    std::fprintf(stderr, "%s\n", std::string(content.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<zhibiao::v1::Report> report =
      pipeline::BuildReport(*content, fs::path(args[0]).filename().string(), options.hints);
  if (!report.ok()) {
    std::fprintf(stderr, "%s: %s: %s\n", args[0].c_str(),
                 absl::StatusCodeToString(report.status().code()).c_str(),
                 std::string(report.status().message()).c_str());
    return 1;
  }
  if (options.json) {
    std::printf("%s\n", ToJson(*report).c_str());
  } else {
    PrintReportSummary(*report, true);
  }
  return 0;
}

namespace {

// The result of one file of `zhibiao ingest`.
struct FileResult {
  grpc::Status status;
  zhibiao::v1::IngestResponse response;
  bool done = false;
};

// A document worth sending again: the service or a shard was away or busy.
bool Retryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::RESOURCE_EXHAUSTED;
}

// A broken stream worth opening again for the documents it did not answer:
// only when the ingest process went away (credentials, deadlines or a message
// over the limit would fail the same way again).
bool StreamRetryable(grpc::StatusCode code) { return code == grpc::StatusCode::UNAVAILABLE; }

// Sends the files `todo` (indexes into `files`) on one IngestStream, at most
// `in_flight` ahead of their results, and records each result in `results`
// (calling `on_result` with the file's index). Returns the stream's status;
// a broken stream leaves the rest of `todo` without a result.
grpc::Status IngestOnStream(zhibiao::v1::IngestService::Stub* stub, const CliOptions& options,
                            const HintBook& book,
                            const std::vector<std::string>& files, const std::vector<size_t>& todo,
                            std::vector<FileResult>* results,
                            const std::function<void(size_t)>& on_result) {
  grpc::ClientContext context;
  // Each document gets the per-call timeout; the stream as a whole their sum.
  SetTimeout(&context, options.timeout * static_cast<int64_t>(std::max<size_t>(1, todo.size())));
  std::unique_ptr<grpc::ClientReaderWriter<zhibiao::v1::IngestRequest, zhibiao::v1::IngestResult>>
      stream = stub->IngestStream(&context);
  const size_t window = static_cast<size_t>(std::max(1, options.in_flight));
  absl::Mutex mu;
  size_t read = 0;        // results read
  bool reader_done = false;
  std::vector<size_t> sent;  // stream index -> file index, guarded by mu
  std::thread writer([&] {
    for (size_t file_index : todo) {
      {
        absl::MutexLock lock(&mu);
        auto room = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu) {
          return reader_done || sent.size() - read < window;
        };
        mu.Await(absl::Condition(&room));
        if (reader_done) break;
      }
      std::error_code size_error;
      const uintmax_t size = fs::file_size(files[file_index], size_error);
      if (!size_error && size > static_cast<uintmax_t>(options.max_document_mb) << 20) {
        absl::MutexLock lock(&mu);
        (*results)[file_index] = {
            grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                         absl::StrCat(size, " bytes is over the ", options.max_document_mb,
                                      " MiB a document may have (--max_document_mb)")),
            {}, true};
        on_result(file_index);
        continue;
      }
      absl::StatusOr<std::string> content = ReadFile(files[file_index]);
      if (!content.ok()) {
        absl::MutexLock lock(&mu);
        (*results)[file_index] = {grpc::Status(grpc::StatusCode::NOT_FOUND,
                                               std::string(content.status().message())),
                                  {}, true};
        on_result(file_index);
        continue;
      }
      zhibiao::v1::IngestRequest request;
      request.set_content(*std::move(content));
      request.set_source_name(fs::path(files[file_index]).filename().string());
      *request.mutable_hints() = book.For(files[file_index], options.hints);
      {
        absl::MutexLock lock(&mu);
        sent.push_back(file_index);
      }
      if (!stream->Write(request)) break;  // the stream broke: Finish says why
    }
    stream->WritesDone();
  });
  zhibiao::v1::IngestResult result;
  while (stream->Read(&result)) {
    absl::MutexLock lock(&mu);
    if (result.index() < 0 || static_cast<size_t>(result.index()) >= sent.size()) continue;
    const size_t file_index = sent[static_cast<size_t>(result.index())];
    FileResult& r = (*results)[file_index];
    r.done = true;
    if (result.code() == 0) {
      r.status = grpc::Status::OK;
      r.response = std::move(*result.mutable_response());
    } else {
      r.status = grpc::Status(static_cast<grpc::StatusCode>(result.code()), result.error());
    }
    ++read;
    on_result(file_index);
  }
  {
    absl::MutexLock lock(&mu);
    reader_done = true;
  }
  writer.join();
  return stream->Finish();
}

}  // namespace

int Ingest(const CliOptions& options, const std::vector<std::string>& args) {
  if (args.empty()) {
    std::fprintf(stderr, "usage: zhibiao ingest FILE|DIR... [--json --in_flight=N --retries=N]\n");
    return 2;
  }
  const std::vector<std::string> files = ExpandInputs(options, args);
  if (files.empty()) {
    std::fprintf(stderr, "zhibiao ingest: no files to send: the folders gave none (see what was left out above)\n");
    return 1;
  }
  HintBook book;
  if (!options.manifest.empty()) {
    absl::StatusOr<HintBook> read = HintBook::FromManifest(options.manifest);
    if (!read.ok()) {
      std::fprintf(stderr, "zhibiao: %s\n", std::string(read.status().message()).c_str());
      return 2;
    }
    book = *std::move(read);
  }
  auto stub = zhibiao::v1::IngestService::NewStub(CliChannel(options, options.ingest_addr));
  const bool terminal = !options.json && isatty(STDERR_FILENO);
  std::unique_ptr<ProgressLine> progress = terminal ? std::make_unique<ProgressLine>(files.size()) : nullptr;
  std::vector<FileResult> results(files.size());
  size_t finished = 0;
  // Prints a file's line once it has its final result (retries are silent).
  auto report = [&](size_t i) {
    const FileResult& r = results[i];
    const std::string& file = files[i];
    if (options.json) {
      std::string line = "{\"file\":";
      AppendJsonString(file, &line);
      if (r.status.ok()) {
        absl::StrAppend(&line, ",\"report_id\":\"", r.response.report_id(), "\",\"status\":\"",
                        OutcomeWord(r.response.outcome()), "\",\"indicators\":",
                        r.response.indicator_count(), ",\"title\":");
        AppendJsonString(r.response.meta().title(), &line);
        line.append(",\"shard\":");
        AppendJsonString(r.response.shard(), &line);
      } else {
        absl::StrAppend(&line, ",\"status\":\"failed\",\"code\":\"",
                        absl::StatusCodeToString(static_cast<absl::StatusCode>(r.status.error_code())),
                        "\",\"error\":");
        AppendJsonString(r.status.error_message(), &line);
      }
      line.append("}");
      std::printf("%s\n", line.c_str());
      std::fflush(stdout);
      return;
    }
    auto print = [&] {
      if (r.status.ok()) {
        std::printf("%-9s %s  %s  (%d indicators)\n", OutcomeWord(r.response.outcome()),
                    r.response.report_id().c_str(), file.c_str(), r.response.indicator_count());
      } else {
        PrintError(file, r.status);
      }
    };
    if (progress) {
      progress->Print(print);
      progress->Update(finished, file);
    } else {
      print();
    }
  };
  std::vector<size_t> todo(files.size());
  for (size_t i = 0; i < files.size(); ++i) todo[i] = i;
  const int rounds = std::max(0, options.retries) + 1;
  for (int round = 0; round < rounds && !todo.empty(); ++round) {
    const bool last_round = round + 1 == rounds;
    for (size_t i : todo) results[i] = FileResult{};
    grpc::Status stream_status = IngestOnStream(
        stub.get(), options, book, files, todo, &results, [&](size_t i) {
          if (!last_round && !results[i].status.ok() && Retryable(results[i].status.error_code())) {
            return;  // sent again next round
          }
          ++finished;
          report(i);
        });
    std::vector<size_t> again;
    for (size_t i : todo) {
      const FileResult& r = results[i];
      const bool printed = r.done && (last_round || r.status.ok() || !Retryable(r.status.error_code()));
      if (printed) continue;
      bool give_up = last_round;
      if (!r.done) {
        results[i].status = stream_status.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                                              "no result on the stream")
                                               : stream_status;
        give_up = give_up || !StreamRetryable(results[i].status.error_code());
      }
      if (give_up) {
        ++finished;
        report(i);
      } else {
        again.push_back(i);
      }
    }
    todo = std::move(again);
    if (!todo.empty() && !last_round) {
      absl::SleepFor(absl::Milliseconds(200) * (1 << std::min(round, 4)));
    }
  }
  int failed = 0, stored = 0, unchanged = 0;
  for (const FileResult& r : results) {
    if (!r.status.ok()) {
      ++failed;
    } else if (r.response.outcome() == zhibiao::v1::INGEST_OUTCOME_UNCHANGED) {
      ++unchanged;
    } else {
      ++stored;
    }
  }
  if (progress) progress->Finish();
  if (!options.json) {
    std::printf("%zu files: %d stored, %d unchanged, %d failed\n", files.size(), stored, unchanged,
                failed);
  }
  return failed == 0 ? 0 : 1;
}

namespace {

// Stored reports' metadata through query: the first page of `request`, or
// every page with `all_pages`; false after printing the error.
// When a page is not the last: how to ask for the next one, on stderr so
// that a CSV or JSON answer on stdout stays clean.
void SayNextPage(absl::string_view command, absl::string_view next_page_token) {
  if (next_page_token.empty()) return;
  std::fprintf(stderr, "%.*s: more follow; the same command with --page_token=%.*s gives the next page\n",
               static_cast<int>(command.size()), command.data(), static_cast<int>(next_page_token.size()),
               next_page_token.data());
}

bool ListReportPages(const CliOptions& options, const std::string& what, zhibiao::v1::ListReportsRequest request,
                     bool all_pages, zhibiao::v1::ListReportsResponse* all) {
  auto stub = zhibiao::v1::QueryService::NewStub(CliChannel(options, options.query_addr));
  while (true) {
    grpc::ClientContext context;
    SetTimeout(&context, options.timeout);
    zhibiao::v1::ListReportsResponse page;
    grpc::Status status = stub->ListReports(&context, request, &page);
    if (!status.ok()) {
      PrintError(what, status);
      return false;
    }
    for (auto& m : *page.mutable_reports()) *all->add_reports() = std::move(m);
    if (!all_pages) all->set_next_page_token(page.next_page_token());
    if (page.next_page_token().empty() || !all_pages) return true;
    request.set_page_token(page.next_page_token());
  }
}

}  // namespace

int ReportsList(const CliOptions& options) {
  zhibiao::v1::ListReportsRequest request;
  request.set_region_code(options.region);
  request.set_province_code(options.province);
  request.set_year(options.year);
  request.set_page_size(options.page_size);
  request.set_page_token(options.page_token);
  // Every page, unless the caller asked for one (--page_size or --page_token).
  const bool all_pages = options.page_size == 0 && options.page_token.empty();
  zhibiao::v1::ListReportsResponse all;
  if (!ListReportPages(options, "reports list", request, all_pages, &all)) return 1;
  SayNextPage("reports list", all.next_page_token());
  if (options.json) {
    std::printf("%s\n", ToJson(all).c_str());
    return 0;
  }
  if (auto done = WriteAnswerFile(options, "ListReports", all)) return *done;
  std::printf("%-32s %-6s %s %-4s %-11s %s  %s\n", "report_id", "region", Pad("", 14).c_str(), "year",
              "kind", "title", "source");
  for (const auto& m : all.reports()) {
    std::printf("%-32s %-6s %s %-4d %-11s %s  %s\n", m.report_id().c_str(), m.region().code().c_str(),
                Pad(m.region().name(), 14).c_str(), m.report_year(), doc::KindName(m.kind()),
                m.title().c_str(), m.source_name().c_str());
  }
  std::printf("%d reports\n", all.reports_size());
  return 0;
}

int ReportsShow(const CliOptions& options, const std::vector<std::string>& args) {
  if (args.size() != 1) {
    std::fprintf(stderr, "usage: zhibiao reports show ID [--format=table|json|csv|xlsx]\n");
    return 2;
  }
  auto stub = zhibiao::v1::QueryService::NewStub(CliChannel(options, options.query_addr));
  zhibiao::v1::GetReportRequest request;
  request.set_report_id(args[0]);
  zhibiao::v1::GetReportResponse response;
  grpc::ClientContext context;
  SetTimeout(&context, options.timeout);
  grpc::Status status = stub->GetReport(&context, request, &response);
  if (!status.ok()) {
    PrintError(absl::StrCat("reports show ", args[0]), status);
    return 1;
  }
  if (options.json) {
    std::printf("%s\n", ToJson(response.report()).c_str());
    return 0;
  }
  if (auto done = WriteAnswerFile(options, "GetReport", response)) return *done;
  PrintReportSummary(response.report(), true);
  return 0;
}

int ReportsSection(const CliOptions& options, const std::vector<std::string>& args) {
  if (args.size() != 2) {
    std::fprintf(stderr, "usage: zhibiao reports section ID SECTION   (SECTION: 7.2 or 七.(二))\n");
    return 2;
  }
  auto stub = zhibiao::v1::QueryService::NewStub(CliChannel(options, options.query_addr));
  zhibiao::v1::GetSectionRequest request;
  request.set_report_id(args[0]);
  request.set_section(args[1]);
  zhibiao::v1::GetSectionResponse response;
  grpc::ClientContext context;
  SetTimeout(&context, options.timeout);
  grpc::Status status = stub->GetSection(&context, request, &response);
  if (!status.ok()) {
    PrintError(absl::StrCat("reports section ", args[0], " ", args[1]), status);
    return 1;
  }
  if (options.json) {
    std::printf("%s\n", ToJson(response).c_str());
    return 0;
  }
  std::printf("%s  %s\n%s\n", response.section().path().c_str(), response.meta().title().c_str(),
              response.section().text().c_str());
  for (const auto& child : response.children()) {
    std::printf("  ▸ %s %s\n", child.path().c_str(), child.heading().c_str());
  }
  return 0;
}

int Metrics(const CliOptions& options) {
  auto stub = zhibiao::v1::QueryService::NewStub(CliChannel(options, options.query_addr));
  zhibiao::v1::ListMetricsRequest request;
  if (!options.region.empty()) request.mutable_filter()->add_region_codes(options.region);
  if (!options.province.empty()) request.mutable_filter()->add_province_codes(options.province);
  if (options.year > 0) request.mutable_filter()->add_years(options.year);
  zhibiao::v1::ListMetricsResponse response;
  grpc::ClientContext context;
  SetTimeout(&context, options.timeout);
  grpc::Status status = stub->ListMetrics(&context, request, &response);
  if (!status.ok()) {
    PrintError("metrics", status);
    return 1;
  }
  if (options.json) {
    std::printf("%s\n", ToJson(response).c_str());
    return 0;
  }
  if (auto done = WriteAnswerFile(options, "ListMetrics", response)) return *done;
  for (const auto& m : response.metrics()) {
    if (m.count() == 0) continue;  // the JSON form lists every key
    std::vector<std::string> units;
    for (const auto& u : m.units()) units.push_back(absl::StrCat(u.unit(), "×", u.count()));
    std::printf("%s %s %6lld  %s\n", Pad(m.key().empty() ? "(unmapped)" : m.key(), 44).c_str(),
                Pad(m.name_zh(), 28).c_str(), static_cast<long long>(m.count()),
                absl::StrJoin(units, " ").c_str());
  }
  return 0;
}

namespace {

// Parses a lower-case enum value name with `prefix` ("sum" -> AGGREGATION_SUM).
template <typename Enum, typename Parse>
bool ParseEnum(const std::string& prefix, const std::string& name, Parse parse, Enum* out) {
  return parse(absl::StrCat(prefix, absl::AsciiStrToUpper(name)), out);
}

bool QualifiedValuesOf(const CliOptions& options, zhibiao::v1::QualifiedValues* out) {
  *out = zhibiao::v1::QUALIFIED_VALUES_UNSPECIFIED;
  if (options.qualified.empty()) return true;
  if (ParseEnum("QUALIFIED_VALUES_", options.qualified, &zhibiao::v1::QualifiedValues_Parse, out)) return true;
  std::fprintf(stderr, "--qualified: \"%s\" is not as_stated, exact_only, range_low or range_high\n",
               options.qualified.c_str());
  return false;
}

bool MetricOptionsOf(const CliOptions& options, zhibiao::v1::MetricQueryOptions* out) {
  zhibiao::v1::QualifiedValues qualified;
  if (!QualifiedValuesOf(options, &qualified)) return false;
  zhibiao::v1::MetricFigures figures = zhibiao::v1::METRIC_FIGURES_UNSPECIFIED;
  if (!options.figures.empty() &&
      !ParseEnum("METRIC_FIGURES_", options.figures, &zhibiao::v1::MetricFigures_Parse, &figures)) {
    std::fprintf(stderr,
                 "--figures: \"%s\" is not result_levels, result_changes, target_levels or target_changes\n",
                 options.figures.c_str());
    return false;
  }
  out->set_figures(figures);
  out->set_qualified_values(qualified);
  out->set_include_superseded(options.include_superseded);
  out->set_allow_partial(options.allow_partial);
  if (!options.unit.empty()) out->set_unit(options.unit);
  for (zhibiao::v1::DocumentKind kind : options.kinds) out->add_document_kinds(kind);
  return true;
}

void PrintMissingShards(const google::protobuf::RepeatedPtrField<zhibiao::v1::ShardFailure>& missing) {
  for (const auto& m : missing) {
    std::printf("missing: %s (%s)\n", m.shard().c_str(), m.error().c_str());
  }
}

// Runs a unary query call with the CLI's deadline; prints the error.
template <typename Request, typename Response, typename Method>
bool CallQuery(const CliOptions& options, const char* what, Method method, const Request& request,
               Response* response) {
  auto stub = zhibiao::v1::QueryService::NewStub(CliChannel(options, options.query_addr));
  grpc::ClientContext context;
  SetTimeout(&context, options.timeout);
  grpc::Status status = ((*stub).*method)(&context, request, response);
  if (!status.ok()) PrintError(what, status);
  return status.ok();
}

}  // namespace

namespace {

// --targets, --results and --change into `filter`; false after a usage message.
// A region's value in words, from a metric answer's `aggregate` (README,
// "A region's value").
const char* HowValuesCombine(const std::string& aggregate) {
  return aggregate == "sum" ? "each report's largest figure, summed over reports" : "mean of figures";
}

bool FigureFiltersOf(const CliOptions& options, zhibiao::v1::IndicatorFilter* filter) {
  if (options.targets_only && options.results_only) {
    std::fprintf(stderr, "zhibiao: --targets and --results exclude each other\n");
    return false;
  }
  filter->set_targets_only(options.targets_only);
  filter->set_exclude_targets(options.results_only);
  if (options.change == "levels") {
    filter->set_change(zhibiao::v1::CHANGE_FILTER_LEVELS_ONLY);
  } else if (options.change == "changes") {
    filter->set_change(zhibiao::v1::CHANGE_FILTER_CHANGES_ONLY);
  } else if (!options.change.empty()) {
    std::fprintf(stderr, "zhibiao: --change must be levels or changes, not \"%s\"\n", options.change.c_str());
    return false;
  }
  for (const std::string& year : SplitList(options.period)) {
    int value = 0;
    if (!absl::SimpleAtoi(year, &value) || value < 1900 || value > 2200) {
      std::fprintf(stderr, "zhibiao: --period takes years (2025 or 2025,2026), not \"%s\"\n", year.c_str());
      return false;
    }
    filter->add_period_end_years(value);
  }
  return true;
}

}  // namespace

int QueryAggregate(const CliOptions& options) {
  zhibiao::v1::AggregateRequest request;
  auto* f = request.mutable_filter();
  if (!FigureFiltersOf(options, f)) return 2;
  for (const std::string& m : SplitList(options.metric)) f->add_metric_keys(m);
  f->set_subject_contains(options.subject);
  if (!options.region.empty()) f->add_region_codes(options.region);
  if (!options.province.empty()) f->add_province_codes(options.province);
  if (options.year > 0) f->add_years(options.year);
  for (zhibiao::v1::DocumentKind kind : options.kinds) f->add_document_kinds(kind);
  for (const std::string& u : SplitList(options.unit)) f->add_units(u);
  for (const std::string& g : SplitList(options.group_by)) {
    zhibiao::v1::GroupBy dimension;
    if (!ParseEnum("GROUP_BY_", g, &zhibiao::v1::GroupBy_Parse, &dimension)) {
      std::fprintf(stderr, "--group_by: unknown dimension \"%s\" (metric, region, province, year, subject, report)\n",
                   g.c_str());
      return 2;
    }
    request.add_group_by(dimension);
  }
  for (const std::string& a : SplitList(options.aggregations)) {
    zhibiao::v1::Aggregation aggregation;
    if (!ParseEnum("AGGREGATION_", a, &zhibiao::v1::Aggregation_Parse, &aggregation)) {
      std::fprintf(stderr, "--aggregations: unknown \"%s\" (count, sum, avg, min, max, weighted_avg)\n", a.c_str());
      return 2;
    }
    request.add_aggregations(aggregation);
  }
  if (!options.order_by.empty()) {
    zhibiao::v1::Aggregation order_by;
    if (!ParseEnum("AGGREGATION_", options.order_by, &zhibiao::v1::Aggregation_Parse, &order_by)) {
      std::fprintf(stderr, "--order_by: unknown \"%s\"\n", options.order_by.c_str());
      return 2;
    }
    request.set_order_by(order_by);
  }
  request.set_descending(options.descending);
  request.set_split_by_unit(options.split_by_unit);
  request.set_include_superseded(options.include_superseded);
  request.set_allow_partial(options.allow_partial);
  zhibiao::v1::QualifiedValues qualified;
  if (!QualifiedValuesOf(options, &qualified)) return 2;
  request.set_qualified_values(qualified);
  zhibiao::v1::AggregateResponse response;
  if (!CallQuery(options, "query aggregate", &zhibiao::v1::QueryService::Stub::Aggregate, request, &response)) {
    return 1;
  }
  if (options.json) {
    std::printf("%s\n", ToJson(response).c_str());
    return 0;
  }
  if (auto done = WriteAnswerFile(options, "Aggregate", response)) return *done;
  std::vector<std::string> header;
  for (const std::string& g : SplitList(options.group_by)) header.push_back(g);
  size_t group_width = 8;
  for (const auto& row : response.rows()) {
    group_width = std::max(group_width, DisplayWidth(absl::StrJoin(row.group_values(), "/")));
  }
  auto optional = [](bool has, double v) { return has ? FormatNumber(v) : std::string("-"); };
  std::printf("%s %s %8s %16s %12s %12s %12s\n", Pad(absl::StrJoin(header, "/"), group_width).c_str(),
              Pad("unit", 8).c_str(), "count", "sum", "mean", "min", "max");
  for (const auto& row : response.rows()) {
    std::printf("%s %s %8lld %16s %12s %12s %12s\n",
                Pad(absl::StrJoin(row.group_values(), "/"), group_width).c_str(),
                Pad(row.unit(), 8).c_str(), static_cast<long long>(row.count()),
                optional(row.has_sum(), row.sum()).c_str(), optional(row.has_mean(), row.mean()).c_str(),
                optional(row.has_min(), row.min()).c_str(), optional(row.has_max(), row.max()).c_str());
  }
  std::printf("%d rows over %lld indicators scanned\n", response.rows_size(),
              static_cast<long long>(response.indicators_scanned()));
  PrintMissingShards(response.missing_shards());
  return 0;
}

int QueryRank(const CliOptions& options) {
  zhibiao::v1::RankRequest request;
  request.set_metric_key(options.metric);
  request.set_year(options.year);
  request.set_k(options.k);
  request.set_bottom(options.bottom);
  if (!options.province.empty()) request.add_province_codes(options.province);
  if (!MetricOptionsOf(options, request.mutable_options())) return 2;
  zhibiao::v1::RankResponse response;
  if (!CallQuery(options, "query rank", &zhibiao::v1::QueryService::Stub::Rank, request, &response)) return 1;
  if (options.json) {
    std::printf("%s\n", ToJson(response).c_str());
    return 0;
  }
  if (auto done = WriteAnswerFile(options, "Rank", response)) return *done;
  if (response.regions().empty()) {
    std::printf("%s %d: no region has figures (try another --year, --figures or --kind)\n",
                response.metric_key().c_str(), response.year());
    PrintMissingShards(response.missing_shards());
    return 0;
  }
  std::printf("%s %d (%s in %s, %d regions ranked)\n", response.metric_key().c_str(), response.year(),
              HowValuesCombine(response.aggregate()), response.unit().c_str(), response.regions_ranked());
  // On a terminal each row also gets a bar, scaled to the largest value.
  const bool bars = isatty(STDOUT_FILENO) != 0;
  double max = 0;
  size_t name_width = 6;
  for (const auto& r : response.regions()) {
    max = std::max(max, r.value());
    name_width = std::max(name_width, DisplayWidth(RegionNameOf(r.region_code())));
  }
  for (const auto& r : response.regions()) {
    std::printf("%4d  %s  %s  %12s %s  (%lld figures)%s%s\n", r.rank(), r.region_code().c_str(),
                Pad(RegionNameOf(r.region_code()), name_width).c_str(), FormatNumber(r.value()).c_str(),
                response.unit().c_str(), static_cast<long long>(r.count()), bars ? "  " : "",
                bars ? Bar(r.value(), max, 30).c_str() : "");
  }
  PrintMissingShards(response.missing_shards());
  return 0;
}

int QuerySeries(const CliOptions& options) {
  zhibiao::v1::TimeSeriesRequest request;
  request.set_metric_key(options.metric);
  request.set_region_code(options.region);
  if (!MetricOptionsOf(options, request.mutable_options())) return 2;
  zhibiao::v1::TimeSeriesResponse response;
  if (!CallQuery(options, "query series", &zhibiao::v1::QueryService::Stub::TimeSeries, request, &response)) {
    return 1;
  }
  if (options.json) {
    std::printf("%s\n", ToJson(response).c_str());
    return 0;
  }
  if (auto done = WriteAnswerFile(options, "TimeSeries", response)) return *done;
  if (response.points().empty()) {
    std::printf("%s in %s %s: no figures (try --figures, --kind or --unit)\n", response.metric_key().c_str(),
                response.region_code().c_str(), RegionNameOf(response.region_code()).c_str());
    PrintMissingShards(response.missing_shards());
    return 0;
  }
  std::printf("%s in %s %s (%s in %s)\n", response.metric_key().c_str(), response.region_code().c_str(),
              RegionNameOf(response.region_code()).c_str(), HowValuesCombine(response.aggregate()),
              response.unit().c_str());
  // On a terminal each year also gets a bar, scaled to the largest value.
  const bool bars = isatty(STDOUT_FILENO) != 0;
  double max = 0;
  for (const auto& p : response.points()) max = std::max(max, p.value());
  for (const auto& p : response.points()) {
    std::printf("%d  %16s  %s(%lld figures; %s)\n", p.year(), FormatNumber(p.value()).c_str(),
                bars ? absl::StrCat(Pad(Bar(p.value(), max, 20), 20), "  ").c_str() : "",
                static_cast<long long>(p.count()), absl::StrJoin(p.report_ids(), ",").c_str());
  }
  PrintMissingShards(response.missing_shards());
  return 0;
}

int QueryCompare(const CliOptions& options) {
  zhibiao::v1::CompareRequest request;
  request.set_metric_key(options.metric);
  request.set_base_year(options.base_year);
  request.set_year(options.year);
  if (!options.region.empty()) request.add_region_codes(options.region);
  if (!options.province.empty()) request.add_province_codes(options.province);
  if (!MetricOptionsOf(options, request.mutable_options())) return 2;
  zhibiao::v1::CompareResponse response;
  if (!CallQuery(options, "query compare", &zhibiao::v1::QueryService::Stub::Compare, request, &response)) {
    return 1;
  }
  if (options.json) {
    std::printf("%s\n", ToJson(response).c_str());
    return 0;
  }
  if (auto done = WriteAnswerFile(options, "Compare", response)) return *done;
  std::printf("%s %d -> %d (%s)\n", response.metric_key().c_str(), response.base_year(), response.year(),
              response.unit().c_str());
  auto optional = [](bool has, double v) { return has ? FormatNumber(v) : std::string("-"); };
  for (const auto& c : response.regions()) {
    std::printf("%s %s  %14s  %14s  %14s  %10s\n", c.region_code().c_str(),
                Pad(RegionNameOf(c.region_code()), 10).c_str(),
                optional(c.has_base_value(), c.base_value()).c_str(), optional(c.has_value(), c.value()).c_str(),
                optional(c.has_absolute_change(), c.absolute_change()).c_str(),
                c.has_relative_change() ? absl::StrFormat("%+.1f%%", 100 * c.relative_change()).c_str() : "-");
  }
  PrintMissingShards(response.missing_shards());
  return 0;
}

int QuerySearch(const CliOptions& options, const std::vector<std::string>& words) {
  zhibiao::v1::SearchIndicatorsRequest request;
  for (const std::string& w : words) request.add_words(w);
  for (const std::string& m : SplitList(options.metric)) request.mutable_filter()->add_metric_keys(m);
  if (!options.region.empty()) request.mutable_filter()->add_region_codes(options.region);
  if (!options.province.empty()) request.mutable_filter()->add_province_codes(options.province);
  if (options.year > 0) request.mutable_filter()->add_years(options.year);
  for (zhibiao::v1::DocumentKind kind : options.kinds) request.mutable_filter()->add_document_kinds(kind);
  if (!FigureFiltersOf(options, request.mutable_filter())) return 2;
  request.set_page_size(options.page_size);
  request.set_page_token(options.page_token);
  zhibiao::v1::SearchIndicatorsResponse response;
  if (!CallQuery(options, "query search", &zhibiao::v1::QueryService::Stub::SearchIndicators, request,
                 &response)) {
    return 1;
  }
  SayNextPage("query search", response.next_page_token());
  if (options.json) {
    std::printf("%s\n", ToJson(response).c_str());
    return 0;
  }
  if (auto done = WriteAnswerFile(options, "SearchIndicators", response)) return *done;
  for (const auto& hit : response.hits()) {
    const auto& ind = hit.indicator();
    std::printf("%s %s %d  %s: %s (%s %s)  [%s]\n  %s (%s, %s)\n  %s\n", hit.region().code().c_str(),
                hit.region().name().c_str(), hit.report_year(), ind.subject().c_str(), ind.text().c_str(),
                FormatNumber(ind.quantity().value()).c_str(), ind.quantity().unit().c_str(),
                ind.metric_key().empty() ? "unmapped" : ind.metric_key().c_str(), hit.title().c_str(),
                doc::KindName(hit.kind()), hit.source_name().c_str(), ind.sentence().c_str());
  }
  return 0;
}

int Health(const CliOptions& options) {
  struct Target {
    std::string name;
    std::string address;
    std::string service;
  };
  std::vector<Target> targets = {{"ingest", options.ingest_addr, "zhibiao.v1.IngestService"},
                                 {"query", options.query_addr, "zhibiao.v1.QueryService"}};
  int i = 0;
  for (const std::string& a : SplitList(options.storage_addrs)) {
    targets.push_back({absl::StrCat("storage-", i++), a, "zhibiao.v1.StorageService"});
  }
  bool all = true;
  for (const Target& t : targets) {
    absl::StatusOr<std::string> status =
        CheckHealth(CliChannel(options, t.address, /*connect=*/false), t.service, absl::Seconds(3));
    const std::string state = status.ok() ? *status : absl::StrCat("UNREACHABLE (",
                                                                   status.status().message(), ")");
    all = all && status.ok() && *status == "SERVING";
    std::printf("%-10s %-22s %s\n", t.name.c_str(), t.address.c_str(), state.c_str());
  }
  return all ? 0 : 1;
}

namespace {

// The health an HTTP service (zhibiao-web) reports at `url`
// ("http://HOST:PORT", path /healthz unless given): "SERVING" for 200, else
// "NOT_SERVING"; UNAVAILABLE when nothing answers.
absl::StatusOr<std::string> CheckHttpHealth(const std::string& url, absl::Duration timeout) {
  absl::string_view rest = url;
  const bool https = absl::ConsumePrefix(&rest, "https://");
  if (!https) absl::ConsumePrefix(&rest, "http://");
  const size_t slash = rest.find('/');
  const std::string host_port(rest.substr(0, slash));
  const std::string path = slash == absl::string_view::npos ? "/healthz" : std::string(rest.substr(slash));
  httplib::Client client(absl::StrCat(https ? "https://" : "http://", host_port));
  // A health probe asks a process on its own host whether it serves, not who
  // it is: the certificate is not checked (the service's name is not 127.0.0.1).
  if (https) client.enable_server_certificate_verification(false);
  const auto micros = absl::ToInt64Microseconds(timeout);
  client.set_connection_timeout(micros / 1000000, micros % 1000000);
  client.set_read_timeout(micros / 1000000, micros % 1000000);
  httplib::Result result = client.Get(path);
  if (!result) {
    return absl::UnavailableError(absl::StrCat("no answer from ", url, ": ", httplib::to_string(result.error())));
  }
  return result->status == 200 ? std::string("SERVING") : std::string("NOT_SERVING");
}

}  // namespace

int Probe(const CliOptions& options, const std::vector<std::string>& args) {
  if (args.size() != 1) {
    std::fprintf(stderr, "usage: zhibiao probe HOST:PORT [--service=NAME] | zhibiao probe http://HOST:PORT[/PATH]\n");
    return 2;
  }
  const bool http = absl::StartsWith(args[0], "http://") || absl::StartsWith(args[0], "https://");
  absl::StatusOr<std::string> status =
      http ? CheckHttpHealth(args[0], options.timeout)
           : CheckHealth(CliChannel(options, args[0], /*connect=*/false), options.service, options.timeout);
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", args[0].c_str(), std::string(status.status().message()).c_str());
    return 1;
  }
  std::printf("%s\n", status->c_str());
  return *status == "SERVING" ? 0 : 1;
}

int Up(const CliOptions& options) {
  // Ctrl-C, SIGTERM and SIGHUP (the terminal went away) are taken by the
  // wait below and stop every child (services treat SIGHUP as "re-read the
  // tokens", so they would otherwise outlive a closed terminal).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  if (options.storage_shards < 1 || options.storage_shards > 64) {
    std::fprintf(stderr, "--storage_shards must be 1..64\n");
    return 2;
  }
  if (options.ingest_processes < 1 || options.ingest_processes > 16 ||
      options.query_processes < 1 || options.query_processes > 16) {
    std::fprintf(stderr, "--ingest and --query (process counts) must be 1..16\n");
    return 2;
  }
  const std::string bin = ExecutableDir();
  const std::string run_dir =
      options.run_dir.empty() ? (fs::path(options.data_dir) / "run").string() : options.run_dir;
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  if (ec) {
    std::fprintf(stderr, "cannot create %s: %s\n", run_dir.c_str(), ec.message().c_str());
    return 1;
  }
  auto port_for = [&](int offset) {
    return options.base_port == 0 ? 0 : options.base_port + offset;
  };
  struct Child {
    std::string name;
    std::string service;
    Process process;
    std::string address;
    std::vector<std::string> argv;  // to start it again on the same address
    std::string log;
    std::vector<absl::Time> restarts;  // within the last minute
  };
  std::vector<Child> children;
  auto start = [&](const std::string& name, const std::string& program, const std::string& service,
                   int port, std::vector<std::string> extra) -> absl::Status {
    const std::string port_file = (fs::path(run_dir) / (name + ".port")).string();
    fs::remove(port_file, ec);
    std::vector<std::string> argv = {(fs::path(bin) / program).string(),
                                     absl::StrCat("--listen=", options.listen_host, ":", port),
                                     absl::StrCat("--port_file=", port_file)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const std::string log = (fs::path(run_dir) / (name + ".log")).string();
    absl::StatusOr<Process> p = Process::Start(argv, log);
    if (!p.ok()) return p.status();
    children.push_back({name, service, *std::move(p), "", argv, log, {}});
    absl::StatusOr<int> chosen = WaitForPortFile(port_file, absl::Seconds(30));
    if (!chosen.ok()) {
      return absl::UnavailableError(absl::StrCat(name, " did not start; see ", log));
    }
    children.back().address = absl::StrCat(options.listen_host, ":", *chosen);
    return absl::OkStatus();
  };
  auto stop_all = [&]() {
    int worst = 0;
    // Stateless services first, so nothing writes while storage drains.
    for (auto it = children.rbegin(); it != children.rend(); ++it) {
      if (!it->process.running()) continue;
      it->process.Signal(SIGTERM);
      std::optional<int> code = it->process.Wait(absl::Seconds(10));
      if (!code) {
        it->process.Signal(SIGKILL);
        code = it->process.Wait(absl::Seconds(5));
      }
      std::printf("stopped %-10s exit %d\n", it->name.c_str(), code.value_or(-1));
      if (code.value_or(-1) != 0) worst = 1;
    }
    return worst;
  };

  std::vector<std::string> storage_addresses;
  absl::Status started = absl::OkStatus();
  for (int i = 0; i < options.storage_shards && started.ok(); ++i) {
    const std::string dir = (fs::path(options.data_dir) / absl::StrCat("shard-", i)).string();
    started = start(absl::StrCat("storage-", i), "zhibiao-storage", "zhibiao.v1.StorageService",
                    port_for(10 + i), {absl::StrCat("--data_dir=", dir)});
    if (started.ok()) storage_addresses.push_back(children.back().address);
  }
  const std::string storage_flag = absl::StrCat("--storage=", absl::StrJoin(storage_addresses, ","));
  // Replica r of ingest listens on base_port+1+2r, of query on base_port+2+2r.
  std::vector<std::string> ingest_addresses, query_addresses;
  for (int r = 0; r < options.ingest_processes && started.ok(); ++r) {
    started = start(options.ingest_processes == 1 ? "ingest" : absl::StrCat("ingest-", r),
                    "zhibiao-ingest", "zhibiao.v1.IngestService", port_for(1 + 2 * r), {storage_flag});
    if (started.ok()) ingest_addresses.push_back(children.back().address);
  }
  for (int r = 0; r < options.query_processes && started.ok(); ++r) {
    started = start(options.query_processes == 1 ? "query" : absl::StrCat("query-", r),
                    "zhibiao-query", "zhibiao.v1.QueryService", port_for(2 + 2 * r), {storage_flag});
    if (started.ok()) query_addresses.push_back(children.back().address);
  }
  // Several replicas are one gRPC target, balanced round robin by the client.
  auto target = [](const std::vector<std::string>& addresses) {
    return addresses.size() == 1 ? addresses[0] : absl::StrCat("ipv4:", absl::StrJoin(addresses, ","));
  };
  // The dashboard and HTTP API (its health is HTTP: service "" below).
  std::string web_url;
  if (started.ok()) {
    started = start("web", "zhibiao-web", "", port_for(80), {absl::StrCat("--query=", target(query_addresses))});
    if (started.ok()) web_url = absl::StrCat("http://", children.back().address, "/");
  }
  // Wait until every service says SERVING.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  for (size_t i = 0; started.ok() && i < children.size(); ++i) {
    while (true) {
      auto status = children[i].service.empty()
                        ? CheckHttpHealth(absl::StrCat("http://", children[i].address), absl::Milliseconds(500))
                        : CheckHealth(MakeChannel(children[i].address), children[i].service,
                                      absl::Milliseconds(500));
      if (status.ok() && *status == "SERVING") break;
      if (absl::Now() > deadline) {
        started = absl::UnavailableError(absl::StrCat(children[i].name, " is not SERVING after 60 s"));
        break;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
  }
  if (!started.ok()) {
    std::fprintf(stderr, "zhibiao up: %s\n", std::string(started.message()).c_str());
    stop_all();
    return 1;
  }
  for (const Child& c : children) {
    std::printf("%-10s %-22s pid %d  log %s/%s.log\n", c.name.c_str(), c.address.c_str(),
                c.process.pid(), run_dir.c_str(), c.name.c_str());
  }
  // A file other tools can source to find this suite (and tests, its processes).
  auto write_env = [&] {
    const std::string path = (fs::path(run_dir) / "env").string();
    std::ofstream env(path + ".tmp", std::ios::trunc);
    env << "ZHIBIAO_INGEST_ADDR=" << target(ingest_addresses)
        << "\nZHIBIAO_QUERY_ADDR=" << target(query_addresses)
        << "\nZHIBIAO_STORAGE_ADDR=" << absl::StrJoin(storage_addresses, ",")
        << "\nZHIBIAO_WEB_URL=" << web_url << "\n";
    for (const Child& c : children) {
      std::string name = absl::AsciiStrToUpper(c.name);
      std::replace(name.begin(), name.end(), '-', '_');
      env << "ZHIBIAO_PID_" << name << "=" << c.process.pid() << "\n";
    }
    env.close();
    fs::rename(path + ".tmp", path, ec);
  };
  write_env();
  std::printf("dashboard  %s\n", web_url.c_str());
  std::printf("zhibiao is up (data in %s). Ctrl-C stops it.\n", options.data_dir.c_str());
  std::fflush(stdout);

  while (true) {
    timespec wait = {0, 500 * 1000 * 1000};
    const int sig = sigtimedwait(&signals, nullptr, &wait);
    if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
      std::printf("\nstopping...\n");
      return stop_all();
    }
    // A process that died is started again on its own port, as a container
    // orchestrator would; one that keeps dying stops the suite.
    for (Child& c : children) {
      std::optional<int> code = c.process.Wait(absl::ZeroDuration());
      if (!code) continue;
      const absl::Time now = absl::Now();
      c.restarts.push_back(now);
      while (!c.restarts.empty() && now - c.restarts.front() > absl::Minutes(1)) {
        c.restarts.erase(c.restarts.begin());
      }
      if (c.restarts.size() > 5) {
        std::fprintf(stderr, "%s exited (code %d) 6 times within a minute; stopping the suite\n",
                     c.name.c_str(), *code);
        stop_all();
        return 1;
      }
      std::vector<std::string> argv = c.argv;
      argv[1] = absl::StrCat("--listen=", c.address);
      absl::StatusOr<Process> again = Process::Start(argv, c.log);
      if (!again.ok()) {
        std::fprintf(stderr, "cannot restart %s: %s\n", c.name.c_str(),
                     std::string(again.status().message()).c_str());
        stop_all();
        return 1;
      }
      c.process = *std::move(again);
      std::fprintf(stderr, "%s exited (code %d); restarted on %s, pid %d\n", c.name.c_str(), *code,
                   c.address.c_str(), c.process.pid());
      write_env();
    }
  }
}

namespace {

bool IsReportId(absl::string_view id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

int AdminDelete(const CliOptions& options, const std::vector<std::string>& ids) {
  if (ids.empty() == options.source_glob.empty()) {
    std::fprintf(stderr, "usage: zhibiao admin delete ID... | zhibiao admin delete --source=GLOB  [--dry_run]\n");
    return 2;
  }
  for (const std::string& id : ids) {
    if (!IsReportId(id)) {
      std::fprintf(stderr, "zhibiao: \"%s\" is not a report id (32 hex digits, as reports list shows)\n", id.c_str());
      return 2;
    }
  }
  zhibiao::v1::ListReportsRequest every;
  every.set_page_size(1000);
  zhibiao::v1::ListReportsResponse reports;
  if (!ListReportPages(options, "admin delete", every, /*all_pages=*/true, &reports)) return 1;
  std::vector<zhibiao::v1::ReportMeta> chosen;
  for (const auto& m : reports.reports()) {
    const bool wanted = options.source_glob.empty()
                            ? std::find(ids.begin(), ids.end(), m.report_id()) != ids.end()
                            : fnmatch(options.source_glob.c_str(), m.source_name().c_str(), 0) == 0;
    if (wanted) chosen.push_back(m);
  }
  int failed = 0;
  for (const std::string& id : ids) {
    if (std::none_of(chosen.begin(), chosen.end(), [&](const auto& m) { return m.report_id() == id; })) {
      std::fprintf(stderr, "%s: no such report\n", id.c_str());
      ++failed;
    }
  }
  if (!options.source_glob.empty() && chosen.empty()) {
    std::printf("no stored report's source matches %s\n", options.source_glob.c_str());
    return 0;
  }
  std::vector<std::unique_ptr<zhibiao::v1::StorageService::Stub>> shards;
  for (const std::string& address : SplitList(options.storage_addrs)) {
    shards.push_back(zhibiao::v1::StorageService::NewStub(CliChannel(options, address)));
  }
  int deleted = 0;
  for (const auto& m : chosen) {
    if (options.dry_run) {
      std::printf("would delete %s  %s %s  %s  %s\n", m.report_id().c_str(), m.region().code().c_str(),
                  m.region().name().c_str(), m.title().c_str(), m.source_name().c_str());
      continue;
    }
    // Whichever shard holds it (a report moved by reextract may sit on two).
    bool found = false;
    for (size_t s = 0; s < shards.size(); ++s) {
      grpc::ClientContext context;
      SetTimeout(&context, options.timeout);
      zhibiao::v1::DeleteReportRequest request;
      request.set_report_id(m.report_id());
      zhibiao::v1::DeleteReportResponse response;
      grpc::Status status = shards[s]->DeleteReport(&context, request, &response);
      if (status.error_code() == grpc::StatusCode::NOT_FOUND) continue;
      if (!status.ok()) {
        PrintError(absl::StrCat("admin delete ", m.report_id(), " on storage-", s), status);
        ++failed;
        continue;
      }
      found = true;
      std::printf("deleted %s from storage-%zu (%d indicators)  %s  %s\n", m.report_id().c_str(), s,
                  response.indicators_removed(), m.title().c_str(), m.source_name().c_str());
    }
    if (found) ++deleted;
  }
  if (options.dry_run) {
    std::printf("%zu reports would be deleted (dry run: nothing was)\n", chosen.size());
  } else {
    std::printf("%d reports deleted\n", deleted);
  }
  return failed == 0 ? 0 : 1;
}

int AdminVerify(const CliOptions& options) {
  int64_t problems = 0;
  int failed = 0;
  int shard = 0;
  for (const std::string& address : SplitList(options.storage_addrs)) {
    auto stub = zhibiao::v1::StorageService::NewStub(CliChannel(options, address));
    grpc::ClientContext context;
    SetTimeout(&context, std::max(options.timeout, absl::Minutes(10)));
    zhibiao::v1::VerifyResponse response;
    grpc::Status status = stub->Verify(&context, zhibiao::v1::VerifyRequest(), &response);
    if (!status.ok()) {
      PrintError(absl::StrCat("verify storage-", shard, " ", address), status);
      ++failed;
    } else if (options.json) {
      std::printf("%s\n", ToJson(response).c_str());
    } else {
      std::printf("storage-%d %s: %lld reports, %lld index entries, %lld problems\n", shard,
                  address.c_str(), static_cast<long long>(response.reports()),
                  static_cast<long long>(response.index_entries()),
                  static_cast<long long>(response.problems()));
      for (const auto& p : response.problem_samples()) std::printf("  %s\n", p.c_str());
    }
    problems += status.ok() ? response.problems() : 0;
    ++shard;
  }
  return failed == 0 && problems == 0 ? 0 : 1;
}

int AdminStats(const CliOptions& options) {
  int failed = 0;
  int shard = 0;
  for (const std::string& address : SplitList(options.storage_addrs)) {
    auto stub = zhibiao::v1::StorageService::NewStub(CliChannel(options, address));
    grpc::ClientContext context;
    SetTimeout(&context, options.timeout);
    zhibiao::v1::GetStatsResponse response;
    grpc::Status status = stub->GetStats(&context, zhibiao::v1::GetStatsRequest(), &response);
    if (!status.ok()) {
      PrintError(absl::StrCat("stats storage-", shard, " ", address), status);
      ++failed;
    } else {
      std::printf("storage-%d %s %s\n", shard, address.c_str(), ToJson(response).c_str());
    }
    ++shard;
  }
  return failed == 0 ? 0 : 1;
}

int AdminExport(const CliOptions& options) {
  // One header line, then one line per indicator of every shard, with the
  // publication date and ingestion time of its report (what the
  // revised-report rule needs), for loading into other tools.
  std::printf("metric\tyear\tregion\tprovince\treport_id\tseq\tvalue\tlow\thigh\tqualifier\tchange"
              "\tis_target\tunit\tunit_kind\tpublished\tingested_at_ms\n");
  int shard = 0;
  for (const std::string& address : SplitList(options.storage_addrs)) {
    auto stub = zhibiao::v1::StorageService::NewStub(CliChannel(options, address));
    absl::flat_hash_map<std::string, std::pair<std::string, int64_t>> dates;
    zhibiao::v1::ListReportsRequest list;
    list.set_page_size(1000);
    do {
      grpc::ClientContext context;
      SetTimeout(&context, options.timeout);
      zhibiao::v1::ListReportsResponse page;
      grpc::Status status = stub->ListReports(&context, list, &page);
      if (!status.ok()) {
        PrintError(absl::StrCat("export storage-", shard, " ", address), status);
        return 1;
      }
      for (const auto& meta : page.reports()) {
        dates[meta.report_id()] = {meta.published_date(), meta.ingested_at_unix_ms()};
      }
      list.set_page_token(page.next_page_token());
    } while (!list.page_token().empty());
    grpc::ClientContext context;
    auto reader = stub->ScanIndicators(&context, zhibiao::v1::ScanIndicatorsRequest());
    zhibiao::v1::ScanIndicatorsResponse batch;
    while (reader->Read(&batch)) {
      for (const auto& ind : batch.indicators()) {
        const auto& q = ind.quantity();
        const auto& date = dates[ind.report_id()];
        std::printf("%s\t%d\t%s\t%s\t%s\t%d\t%.17g\t%.17g\t%.17g\t%s\t%s\t%s\t%s\t%s\t%s\t%lld\n",
                    ind.metric_key().c_str(), ind.year(), ind.region_code().c_str(),
                    ind.province_code().c_str(), ind.report_id().c_str(), ind.seq(), q.value(), q.low(),
                    q.high(), zhibiao::v1::Qualifier_Name(q.qualifier()).c_str(),
                    zhibiao::v1::Change_Name(ind.change()).c_str(), ind.is_target() ? "t" : "f",
                    q.unit().c_str(), zhibiao::v1::UnitKind_Name(q.kind()).c_str(),
                    date.first.empty() ? "\\N" : date.first.c_str(), static_cast<long long>(date.second));
      }
    }
    grpc::Status status = reader->Finish();
    if (!status.ok()) {
      PrintError(absl::StrCat("export storage-", shard, " ", address), status);
      return 1;
    }
    ++shard;
  }
  return 0;
}

int AdminCheckpoint(const CliOptions& options, const std::vector<std::string>& args) {
  if (args.size() != 1 || args[0].empty() || args[0][0] != '/') {
    std::fprintf(stderr,
                 "usage: zhibiao admin checkpoint DIR [--keep=N] | ROOT --timestamped [--keep=N]\n"
                 "  (an absolute path on the storage hosts: each shard writes DIR/shard-N)\n");
    return 2;
  }
  if (options.keep_checkpoints < 0) {
    std::fprintf(stderr, "zhibiao: --keep must be 0 (keep every checkpoint) or more\n");
    return 2;
  }
  // --timestamped: ROOT/<UTC time>/shard-N, names that sort as they were taken.
  const std::string run_dir =
      options.timestamped
          ? absl::StrCat(absl::StripSuffix(args[0], "/"), "/",
                         absl::FormatTime("%Y%m%dT%H%M%SZ", absl::Now(), absl::UTCTimeZone()))
          : std::string(absl::StripSuffix(args[0], "/"));
  int failed = 0;
  int shard = 0;
  for (const std::string& address : SplitList(options.storage_addrs)) {
    auto stub = zhibiao::v1::StorageService::NewStub(CliChannel(options, address));
    zhibiao::v1::CheckpointRequest request;
    request.set_directory(absl::StrCat(run_dir, "/shard-", shard));
    request.set_keep(options.keep_checkpoints);
    grpc::ClientContext context;
    SetTimeout(&context, std::max(options.timeout, absl::Minutes(10)));
    zhibiao::v1::CheckpointResponse response;
    grpc::Status status = stub->Checkpoint(&context, request, &response);
    if (!status.ok()) {
      PrintError(absl::StrCat("checkpoint storage-", shard, " ", address), status);
      ++failed;
    } else {
      std::printf("storage-%d %s: checkpoint of %lld reports in %s\n", shard, address.c_str(),
                  static_cast<long long>(response.reports()), response.directory().c_str());
      for (const std::string& old : response.removed()) {
        std::printf("storage-%d %s: removed %s (--keep=%d)\n", shard, address.c_str(), old.c_str(),
                    options.keep_checkpoints);
      }
    }
    ++shard;
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace zb::cli
