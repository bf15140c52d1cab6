#include "common/rpc/executor.h"

#include <utility>

namespace zb {

Executor::Executor(std::string name, int threads, int queue_capacity)
    : name_(std::move(name)),
      queue_capacity_(queue_capacity < 1 ? 1 : queue_capacity),
      thread_count_(threads < 1 ? 1 : threads) {
  threads = thread_count_;
  {
    absl::MutexLock lock(&mu_);
    last_progress_ = absl::Now();
  }
  threads_.reserve(threads);
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { WorkerLoop(); });
}

Executor::~Executor() { Shutdown(); }

bool Executor::TrySubmit(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || static_cast<int>(queue_.size()) >= queue_capacity_) return false;
  queue_.push_back(std::move(task));
  return true;
}

int Executor::queued() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(queue_.size());
}

Executor::Progress Executor::progress() const {
  absl::MutexLock lock(&mu_);
  Progress p;
  p.threads = thread_count_;
  p.running = running_;
  p.queued = static_cast<int>(queue_.size());
  p.last_progress = last_progress_;
  return p;
}

bool Executor::Stalled(const Progress& progress, absl::Time now, absl::Duration quiet) {
  return progress.queued > 0 && progress.running >= progress.threads &&
         now - progress.last_progress >= quiet;
}

void Executor::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void Executor::WorkerLoop() {
  while (true) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
      last_progress_ = absl::Now();
    }
    task();
    task = nullptr;  // what the task holds is released before it counts as done
    absl::MutexLock lock(&mu_);
    --running_;
    last_progress_ = absl::Now();
  }
}

}  // namespace zb
