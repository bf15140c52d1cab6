#include "tests/testing/suite_processes.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace zb::testing {
namespace {

constexpr absl::Duration kServingTimeout = absl::Seconds(30);
constexpr size_t kLogTail = 2000;

// Waits until `process` serves `service`; the error carries its log's tail.
absl::Status WaitServing(ServiceProcess& process, const std::string& name,
                         const std::string& service) {
  absl::Status serving = process.WaitServing(service, kServingTimeout);
  if (serving.ok()) return serving;
  const std::string log = process.ReadLog();
  return absl::Status(
      serving.code(),
      absl::StrCat(name, ": ", serving.message(), "; log ends:\n",
                   log.size() > kLogTail ? log.substr(log.size() - kLogTail) : log));
}

absl::StatusOr<std::unique_ptr<ServiceProcess>> StartServing(const std::string& binary,
                                                             const std::vector<std::string>& flags,
                                                             const std::string& work,
                                                             const std::string& name,
                                                             const std::string& service) {
  absl::StatusOr<std::unique_ptr<ServiceProcess>> process =
      ServiceProcess::Start(binary, flags, work, name);
  if (!process.ok()) return process.status();
  absl::Status serving = WaitServing(**process, name, service);
  if (!serving.ok()) return serving;
  return process;
}

std::vector<std::string> With(std::string first, const std::vector<std::string>& rest) {
  std::vector<std::string> flags = {std::move(first)};
  flags.insert(flags.end(), rest.begin(), rest.end());
  return flags;
}

}  // namespace

std::string ShardDataDir(const std::string& work, int shard, int shards) {
  return shards == 1 ? work + "/data" : absl::StrCat(work, "/shard-", shard);
}

absl::StatusOr<std::unique_ptr<ServiceProcess>> StartShard(const std::string& work, int shard,
                                                           int shards,
                                                           const std::vector<std::string>& flags,
                                                           const std::string& name) {
  return StartServing("zhibiao-storage",
                      With(absl::StrCat("--data_dir=", ShardDataDir(work, shard, shards)), flags),
                      work, name, "zhibiao.v1.StorageService");
}

absl::StatusOr<SuiteProcesses> StartSuite(const std::string& work, const SuiteFlags& flags) {
  SuiteProcesses suite;
  std::vector<std::string> addresses;
  for (int shard = 0; shard < flags.shards; ++shard) {
    auto storage =
        StartShard(work, shard, flags.shards, flags.storage,
                   flags.shards == 1 ? std::string("storage") : absl::StrCat("storage-", shard));
    if (!storage.ok()) return storage.status();
    addresses.push_back((*storage)->address());
    suite.storage.push_back(*std::move(storage));
  }
  const std::string storage_flag = absl::StrCat("--storage=", absl::StrJoin(addresses, ","));
  auto ingest = StartServing("zhibiao-ingest", With(storage_flag, flags.ingest), work, "ingest",
                             "zhibiao.v1.IngestService");
  if (!ingest.ok()) return ingest.status();
  suite.ingest = *std::move(ingest);
  auto query = StartServing("zhibiao-query", With(storage_flag, flags.query), work, "query",
                            "zhibiao.v1.QueryService");
  if (!query.ok()) return query.status();
  suite.query = *std::move(query);
  return suite;
}

}  // namespace zb::testing
