// `zhibiao parse` and `zhibiao ingest`: files and folders to the ingest service,
// with retries, progress and a summary.
#include "common/doc/metadata.h"
#include "tools/zhibiao/cli.h"
#include "tools/zhibiao/cli_calls.h"
#include "tools/zhibiao/cli_output.h"
#include "tools/zhibiao/hints.h"

#include <fnmatch.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/base/logging.h"
#include "common/extract/quantities.h"
#include "common/pipeline/report_builder.h"
#include "common/process/process.h"
#include "common/regions/regions.h"
#include "common/rpc/channels.h"
#include "common/webapi/answer_tables.h"
#include "common/webapi/table_files.h"
#include "zhibiao/v1/ingest.grpc.pb.h"
#include "zhibiao/v1/query.grpc.pb.h"
#include "zhibiao/v1/storage.grpc.pb.h"

namespace zb::cli {

namespace fs = std::filesystem;

namespace {

// What a folder gives to ingest: the formats ingest reads, by name (a file
// named on the command line is sent whatever its name; ingest detects the
// format from the bytes). --include replaces these; --exclude takes from them.
constexpr absl::string_view kDocumentGlobs[] = {"*.txt",  "*.text", "*.htm",
                                                "*.html", "*.pdf",  "*.docx"};

// A glob matches a file's name, or, when it holds a '/', its path below the
// folder named on the command line (`2024/*.pdf`); case is ignored.
bool MatchesAny(const std::vector<std::string>& globs, const fs::path& relative) {
  const std::string name = relative.filename().string();
  const std::string path = relative.generic_string();
  for (const std::string& glob : globs) {
    const bool by_path = glob.find('/') != std::string::npos;
    if (fnmatch(glob.c_str(), by_path ? path.c_str() : name.c_str(), FNM_CASEFOLD) == 0)
      return true;
  }
  return false;
}

// Files named on the command line, folders expanded (recursively, sorted,
// documents only, or what --include/--exclude select), saying on stderr what
// a folder left out.
std::vector<std::string> ExpandInputs(const CliOptions& options,
                                      const std::vector<std::string>& args) {
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
      std::fprintf(stderr, "ingest: %s: left out %zu files %s: %s%s\n", arg.c_str(), names.size(),
                   why.c_str(), absl::StrJoin(names.begin(), names.begin() + shown, ", ").c_str(),
                   names.size() > shown ? ", ..." : "");
    };
    say(not_included, options.include_globs.empty()
                          ? absl::StrCat("that are not documents (a folder gives ",
                                         absl::StrJoin(include, " "), "; --include changes that)")
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
    std::fprintf(stderr, "\r\033[K[%s] %zu/%zu  %.1f files/s  %s  %s", bar.c_str(), done_, total_,
                 rate, eta.c_str(), name_.c_str());
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
                            const HintBook& book, const std::vector<std::string>& files,
                            const std::vector<size_t>& todo, std::vector<FileResult>* results,
                            const std::function<void(size_t)>& on_result) {
  grpc::ClientContext context;
  // Each document gets the per-call timeout; the stream as a whole their sum.
  SetTimeout(&context, options.timeout * static_cast<int64_t>(std::max<size_t>(1, todo.size())));
  std::unique_ptr<grpc::ClientReaderWriter<zhibiao::v1::IngestRequest, zhibiao::v1::IngestResult>>
      stream = stub->IngestStream(&context);
  const size_t window = static_cast<size_t>(std::max(1, options.in_flight));
  absl::Mutex mu;
  size_t read = 0;  // results read
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
            {},
            true};
        on_result(file_index);
        continue;
      }
      absl::StatusOr<std::string> content = ReadFile(files[file_index]);
      if (!content.ok()) {
        absl::MutexLock lock(&mu);
        (*results)[file_index] = {
            grpc::Status(grpc::StatusCode::NOT_FOUND, std::string(content.status().message())),
            {},
            true};
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
    std::fprintf(
        stderr,
        "zhibiao ingest: no files to send: the folders gave none (see what was left out above)\n");
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
  std::unique_ptr<ProgressLine> progress =
      terminal ? std::make_unique<ProgressLine>(files.size()) : nullptr;
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
                        OutcomeWord(r.response.outcome()),
                        "\",\"indicators\":", r.response.indicator_count(), ",\"title\":");
        AppendJsonString(r.response.meta().title(), &line);
        line.append(",\"shard\":");
        AppendJsonString(r.response.shard(), &line);
      } else {
        absl::StrAppend(
            &line, ",\"status\":\"failed\",\"code\":\"",
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
    grpc::Status stream_status =
        IngestOnStream(stub.get(), options, book, files, todo, &results, [&](size_t i) {
          if (!last_round && !results[i].status.ok() && Retryable(results[i].status.error_code())) {
            return;  // sent again next round
          }
          ++finished;
          report(i);
        });
    std::vector<size_t> again;
    for (size_t i : todo) {
      const FileResult& r = results[i];
      const bool printed =
          r.done && (last_round || r.status.ok() || !Retryable(r.status.error_code()));
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

}  // namespace zb::cli
