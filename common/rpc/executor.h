// A fixed pool of threads with a bounded queue, for work that must not run on
// gRPC callback threads (document parsing, RocksDB scans, blocking calls).
// When the queue is full TrySubmit fails at once, so a service can answer
// RESOURCE_EXHAUSTED instead of queueing without bound.
//
// Thread-safe. The destructor runs every task already queued, then joins.
#ifndef ZHIBIAO_COMMON_RPC_EXECUTOR_H_
#define ZHIBIAO_COMMON_RPC_EXECUTOR_H_

#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace zb {

class Executor {
 public:
  // REQUIRES: threads >= 1, queue_capacity >= 1.
  Executor(std::string name, int threads, int queue_capacity);
  ~Executor();

  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Queues `task`; false when the queue holds queue_capacity tasks already or
  // the executor is shutting down (the task is then not run).
  bool TrySubmit(std::function<void()> task) ABSL_LOCKS_EXCLUDED(mu_);

  // Stops accepting tasks, runs the queued ones and joins the threads. Idempotent.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);

  const std::string& name() const { return name_; }
  int queue_capacity() const { return queue_capacity_; }
  // Tasks queued and not yet started.
  int queued() const ABSL_LOCKS_EXCLUDED(mu_);

  // Whether the pool is getting through its work: for health checks.
  struct Progress {
    int threads = 0;
    int running = 0;           // tasks started and not finished
    int queued = 0;            // tasks waiting for a thread
    absl::Time last_progress;  // last time a task started or finished (or the pool started)
  };
  Progress progress() const ABSL_LOCKS_EXCLUDED(mu_);
  // True when work is queued, every thread is busy, and no task has started
  // or finished for `quiet`: the pool is wedged, not merely busy.
  static bool Stalled(const Progress& progress, absl::Time now, absl::Duration quiet);

 private:
  void WorkerLoop() ABSL_LOCKS_EXCLUDED(mu_);

  const std::string name_;
  const int queue_capacity_;
  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_progress_ ABSL_GUARDED_BY(mu_);
  const int thread_count_;
  std::vector<std::thread> threads_;
};

}  // namespace zb

#endif  // ZHIBIAO_COMMON_RPC_EXECUTOR_H_
