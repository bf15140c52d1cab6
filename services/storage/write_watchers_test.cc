#include "services/storage/write_watchers.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/rpc/channels.h"
#include "common/rpc/server.h"
#include "gtest/gtest.h"
#include "zhibiao/v1/storage.grpc.pb.h"

namespace zb::storage {
namespace {

using Stream =
    grpc::ClientReaderWriter<zhibiao::v1::WatchWritesRequest, zhibiao::v1::WatchWritesEvent>;

// Serves only WatchWrites, over one WriteWatchers.
class WatchOnlyService final : public zhibiao::v1::StorageService::CallbackService {
 public:
  explicit WatchOnlyService(WriteWatchers* watchers) : watchers_(watchers) {}
  grpc::ServerBidiReactor<zhibiao::v1::WatchWritesRequest, zhibiao::v1::WatchWritesEvent>*
  WatchWrites(grpc::CallbackServerContext*) override {
    return watchers_->Watch("test");
  }

 private:
  WriteWatchers* const watchers_;
};

// Watchers with `lease` over a generation the test sets, on a real server.
class WriteWatchersTest : public ::testing::Test {
 protected:
  void Start(absl::Duration lease, std::string lease_file = "") {
    watchers_ = std::make_unique<WriteWatchers>(
        lease, [this] { return generation_.load(); }, std::move(lease_file));
    service_ = std::make_unique<WatchOnlyService>(watchers_.get());
    auto server = Server::Start(ServerOptions(), {service_.get()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto channel = MakeChannel(server_->address());
    ASSERT_TRUE(WaitForConnection(channel, absl::Seconds(20)).ok());
    stub_ = zhibiao::v1::StorageService::NewStub(channel);
  }
  void TearDown() override {
    if (watchers_ != nullptr) watchers_->FinishStreams();
    if (server_ != nullptr) server_->Shutdown();
  }

  // Opens a stream, reads its first event and takes a lease (heartbeat 1).
  std::unique_ptr<Stream> Lease(grpc::ClientContext* context, uint64_t* generation) {
    std::unique_ptr<Stream> stream = stub_->WatchWrites(context);
    zhibiao::v1::WatchWritesEvent event;
    EXPECT_TRUE(stream->Read(&event));
    EXPECT_EQ(event.store_epoch(), watchers_->epoch());
    *generation = event.index_generation();
    zhibiao::v1::WatchWritesRequest heartbeat;
    heartbeat.set_heartbeat(1);
    heartbeat.set_confirmed_generation(*generation);
    EXPECT_TRUE(stream->Write(heartbeat));
    EXPECT_TRUE(stream->Read(&event));
    EXPECT_EQ(event.heartbeat(), 1u);
    EXPECT_EQ(event.lease_ms(), absl::ToInt64Milliseconds(watchers_->max_lease()));
    return stream;
  }

  // Reads what is left of `stream` and returns how it ended.
  static grpc::Status EndOf(Stream* stream) {
    zhibiao::v1::WatchWritesEvent event;
    while (stream->Read(&event)) {
    }
    return stream->Finish();
  }

  // Waits (at most 10 s) for `done`.
  static bool WaitFor(const std::atomic<bool>& done) {
    const absl::Time until = absl::Now() + absl::Seconds(10);
    while (!done.load() && absl::Now() < until) absl::SleepFor(absl::Milliseconds(5));
    return done.load();
  }

  std::atomic<uint64_t> generation_{5};
  std::unique_ptr<WriteWatchers> watchers_;
  std::unique_ptr<WatchOnlyService> service_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<zhibiao::v1::StorageService::Stub> stub_;
};

TEST_F(WriteWatchersTest, WithoutLeaseHoldersWritesAreAnsweredAtOnce) {
  Start(absl::Minutes(1));
  bool done = false;
  watchers_->AfterConfirmed(6, [&] { done = true; });
  EXPECT_TRUE(done);
}

TEST_F(WriteWatchersTest, AfterARestartWritesWaitForThePreviousRunsLeases) {
  const std::string lease_file = absl::StrCat(::testing::TempDir(), "/read_leases_", getpid());
  std::filesystem::remove(lease_file);
  {
    // A run that granted a lease of two seconds remembers it.
    WriteWatchers first_run(
        absl::Seconds(2), [] { return 0; }, lease_file);
    WatchOnlyService service(&first_run);
    auto server = Server::Start(ServerOptions(), {&service});
    ASSERT_TRUE(server.ok()) << server.status();
    auto channel = MakeChannel((*server)->address());
    ASSERT_TRUE(WaitForConnection(channel, absl::Seconds(20)).ok());
    stub_ = zhibiao::v1::StorageService::NewStub(channel);
    watchers_ = nullptr;
    grpc::ClientContext context;
    std::unique_ptr<Stream> stream = stub_->WatchWrites(&context);
    zhibiao::v1::WatchWritesEvent event;
    ASSERT_TRUE(stream->Read(&event));
    zhibiao::v1::WatchWritesRequest heartbeat;
    heartbeat.set_heartbeat(1);
    ASSERT_TRUE(stream->Write(heartbeat));
    ASSERT_TRUE(stream->Read(&event));
    ASSERT_TRUE(std::filesystem::exists(lease_file));
    first_run.FinishStreams();
    (*server)->Shutdown();
  }
  // The next run waits for it before it answers a write.
  Start(absl::Seconds(2), lease_file);
  std::atomic<bool> done{false};
  watchers_->AfterConfirmed(1, [&] { done = true; });
  EXPECT_FALSE(done.load());  // 2 s have not passed since the lease was granted
  EXPECT_EQ(watchers_->stats().held_writes, 1);
  EXPECT_TRUE(WaitFor(done));
}

TEST_F(WriteWatchersTest, AShardThatNeverGrantedALeaseDoesNotWaitAfterStart) {
  const std::string lease_file = absl::StrCat(::testing::TempDir(), "/no_leases_", getpid());
  std::filesystem::remove(lease_file);
  Start(absl::Seconds(2), lease_file);
  bool done = false;
  watchers_->AfterConfirmed(1, [&] { done = true; });
  EXPECT_TRUE(done);
}

TEST_F(WriteWatchersTest, AWriteWaitsUntilTheLeaseHolderConfirmsItsGeneration) {
  Start(absl::Minutes(1));
  grpc::ClientContext context;
  uint64_t generation = 0;
  std::unique_ptr<Stream> stream = Lease(&context, &generation);
  ASSERT_EQ(generation, 5u);

  std::atomic<bool> done{false};
  generation_ = 6;
  watchers_->AfterConfirmed(6, [&] { done = true; });
  zhibiao::v1::WatchWritesEvent event;
  ASSERT_TRUE(stream->Read(&event));
  EXPECT_EQ(event.index_generation(), 6u);
  EXPECT_EQ(event.heartbeat(), 0u);
  EXPECT_FALSE(done.load());  // not confirmed: a lease of a minute holds it
  EXPECT_EQ(watchers_->stats().held_writes, 1);

  // Confirming an older generation is not enough; confirming 6 is.
  zhibiao::v1::WatchWritesRequest confirm;
  confirm.set_confirmed_generation(5);
  ASSERT_TRUE(stream->Write(confirm));
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_FALSE(done.load());
  confirm.set_confirmed_generation(6);
  ASSERT_TRUE(stream->Write(confirm));
  EXPECT_TRUE(WaitFor(done));

  // A generation already confirmed is answered at once.
  bool again = false;
  watchers_->AfterConfirmed(6, [&] { again = true; });
  EXPECT_TRUE(again);
  context.TryCancel();
}

TEST_F(WriteWatchersTest, ALeaseThatRunsOutReleasesWritesAndEndsItsStream) {
  Start(absl::Milliseconds(300));
  grpc::ClientContext context;
  uint64_t generation = 0;
  std::unique_ptr<Stream> stream = Lease(&context, &generation);
  std::atomic<bool> done{false};
  watchers_->AfterConfirmed(generation + 1, [&] { done = true; });
  EXPECT_TRUE(WaitFor(done));  // no heartbeat, no confirmation: the lease ran out
  grpc::Status status = EndOf(stream.get());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_NE(status.error_message().find("read lease expired"), std::string::npos)
      << status.error_message();
}

TEST_F(WriteWatchersTest, AWatcherThatRenewsButNeverConfirmsLosesItsLease) {
  Start(absl::Milliseconds(300));
  grpc::ClientContext context;
  uint64_t generation = 0;
  std::unique_ptr<Stream> stream = Lease(&context, &generation);
  std::atomic<bool> done{false};
  watchers_->AfterConfirmed(generation + 1, [&] { done = true; });
  // Heartbeats keep coming, confirmations never: the write is released
  // anyway (after about two leases) and the stream is ended.
  std::thread heartbeats([&] {
    zhibiao::v1::WatchWritesRequest heartbeat;
    heartbeat.set_confirmed_generation(generation);
    for (uint64_t n = 2; !done.load(); ++n) {
      heartbeat.set_heartbeat(n);
      if (!stream->Write(heartbeat)) break;
      absl::SleepFor(absl::Milliseconds(50));
    }
  });
  EXPECT_TRUE(WaitFor(done));
  heartbeats.join();
  EXPECT_EQ(EndOf(stream.get()).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(WriteWatchersTest, ABrokenStreamHoldsWritesUntilItsLeaseRunsOut) {
  Start(absl::Seconds(2));
  auto context = std::make_unique<grpc::ClientContext>();
  uint64_t generation = 0;
  std::unique_ptr<Stream> stream = Lease(context.get(), &generation);
  context->TryCancel();  // the watcher may not know yet and go on serving
  stream->Finish();
  std::atomic<bool> done{false};
  watchers_->AfterConfirmed(generation + 1, [&] { done = true; });
  EXPECT_FALSE(done.load());
  EXPECT_TRUE(WaitFor(done));
  EXPECT_EQ(watchers_->stats().streams, 0);
}

TEST_F(WriteWatchersTest, NoLeasesMeansFailedPrecondition) {
  Start(absl::ZeroDuration());
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream = stub_->WatchWrites(&context);
  EXPECT_EQ(EndOf(stream.get()).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  bool done = false;
  watchers_->AfterConfirmed(100, [&] { done = true; });
  EXPECT_TRUE(done);
}

}  // namespace
}  // namespace zb::storage
