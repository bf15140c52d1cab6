// The whole suite as processes for a test: storage shards, then ingest and
// query over them, each on an ephemeral loopback port and waited on until
// it reports SERVING. One home for the start-up every suite-level test
// needs (integration, oracle, hostile input, result cache).
#ifndef ZHIBIAO_TESTS_TESTING_SUITE_PROCESSES_H_
#define ZHIBIAO_TESTS_TESTING_SUITE_PROCESSES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/testing/service_process.h"

namespace zb::testing {

// Extra flags for each kind of process (beyond --data_dir and --storage,
// which the suite sets).
struct SuiteFlags {
  int shards = 1;
  std::vector<std::string> storage;  // every shard gets these
  std::vector<std::string> ingest;
  std::vector<std::string> query;
};

// The running processes; a test may move them into its own members.
struct SuiteProcesses {
  std::vector<std::unique_ptr<ServiceProcess>> storage;  // by shard
  std::unique_ptr<ServiceProcess> ingest;
  std::unique_ptr<ServiceProcess> query;
};

// Where shard `shard` of a suite of `shards` keeps its data under `work`:
// work/data for one shard, work/shard-<i> for more.
std::string ShardDataDir(const std::string& work, int shard, int shards);

// Starts storage shard `shard` (of `shards`) on its data dir with `flags`,
// logged as `name`, and waits until it serves.
absl::StatusOr<std::unique_ptr<ServiceProcess>> StartShard(const std::string& work, int shard,
                                                           int shards,
                                                           const std::vector<std::string>& flags,
                                                           const std::string& name);

// Starts the shards, then ingest and query with --storage naming them all,
// and waits until each serves; the error names the process and ends with
// the tail of its log.
absl::StatusOr<SuiteProcesses> StartSuite(const std::string& work, const SuiteFlags& flags);

}  // namespace zb::testing

#endif  // ZHIBIAO_TESTS_TESTING_SUITE_PROCESSES_H_
