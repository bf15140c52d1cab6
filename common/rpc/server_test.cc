#include "common/rpc/server.h"

#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/rpc/channels.h"
#include "gtest/gtest.h"
#include "zhibiao/v1/storage.grpc.pb.h"

namespace zb {
namespace {

std::string TempPath(const std::string& name) {
  return absl::StrCat(testing::TempDir(), "/", name, "_", getpid());
}

TEST(ServerTest, StartsOnEphemeralPortAndWritesPortFile) {
  zhibiao::v1::StorageService::CallbackService service;  // every method UNIMPLEMENTED
  ServerOptions options;
  options.name = "test";
  options.port_file = TempPath("port");
  options.health_service_names = {"zhibiao.v1.StorageService"};
  auto server = Server::Start(options, {&service});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_GT((*server)->port(), 0);
  std::ifstream in(options.port_file);
  int port = 0;
  in >> port;
  EXPECT_EQ(port, (*server)->port());
  EXPECT_EQ((*server)->address(), absl::StrCat("127.0.0.1:", port));
}

TEST(ServerTest, HealthIsNotServingUntilSetServingThenNotServingAfterShutdown) {
  zhibiao::v1::StorageService::CallbackService service;
  ServerOptions options;
  options.health_service_names = {"zhibiao.v1.StorageService"};
  auto server = Server::Start(options, {&service});
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = MakeChannel((*server)->address());
  ASSERT_TRUE(WaitForConnection(channel, absl::Seconds(20)).ok());
  auto before = CheckHealth(channel, "zhibiao.v1.StorageService", absl::Seconds(5));
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(*before, "NOT_SERVING");
  (*server)->SetServing(true);
  EXPECT_EQ(*CheckHealth(channel, "", absl::Seconds(5)), "SERVING");
  EXPECT_EQ(*CheckHealth(channel, "zhibiao.v1.StorageService", absl::Seconds(5)), "SERVING");
  (*server)->Shutdown();
  EXPECT_FALSE(CheckHealth(channel, "", absl::Milliseconds(500)).ok());
}

TEST(ServerTest, AlsoServesOnAUnixSocketAndReplacesAStaleOne) {
  const std::string socket_path = TempPath("server.sock");
  for (int run = 0; run < 2; ++run) {  // the second run finds the first one's socket file
    zhibiao::v1::StorageService::CallbackService service;
    ServerOptions options;
    options.unix_socket = socket_path;
    auto server = Server::Start(options, {&service});
    ASSERT_TRUE(server.ok()) << server.status();
    (*server)->SetServing(true);
    auto unix_channel = MakeChannel(absl::StrCat("unix:", socket_path));
    auto tcp_channel = MakeChannel((*server)->address());
    ASSERT_TRUE(WaitForConnection(unix_channel, absl::Seconds(20)).ok());
    ASSERT_TRUE(WaitForConnection(tcp_channel, absl::Seconds(20)).ok());
    auto health = CheckHealth(unix_channel, "", absl::Seconds(5));
    ASSERT_TRUE(health.ok()) << health.status();
    EXPECT_EQ(*health, "SERVING");
    EXPECT_EQ(*CheckHealth(tcp_channel, "", absl::Seconds(5)), "SERVING");
    (*server)->Shutdown();
  }
}

// Answers GetReport 300 ms after it arrives, from another thread.
class SlowService : public zhibiao::v1::StorageService::CallbackService {
 public:
  grpc::ServerUnaryReactor* GetReport(grpc::CallbackServerContext* context,
                                      const zhibiao::v1::GetReportRequest*,
                                      zhibiao::v1::GetReportResponse* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    std::thread([reactor, response] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      response->mutable_report()->mutable_meta()->set_title("late");
      reactor->Finish(grpc::Status::OK);
    }).detach();
    return reactor;
  }
};

TEST(ServerTest, ShutdownDrainsCallsInFlight) {
  SlowService service;
  auto server = Server::Start(ServerOptions(), {&service});
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = MakeChannel((*server)->address());
  ASSERT_TRUE(WaitForConnection(channel, absl::Seconds(20)).ok());
  auto stub = zhibiao::v1::StorageService::NewStub(channel);
  grpc::ClientContext context;
  SetTimeout(&context, absl::Seconds(10));
  zhibiao::v1::GetReportRequest request;
  zhibiao::v1::GetReportResponse response;
  grpc::Status status;
  std::thread call([&] { status = stub->GetReport(&context, request, &response); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the call is in flight
  (*server)->Shutdown();
  call.join();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.report().meta().title(), "late");
}

TEST(ServerTest, RejectsListenWithoutPort) {
  zhibiao::v1::StorageService::CallbackService service;
  ServerOptions options;
  options.listen = "localhost";
  auto server = Server::Start(options, {&service});
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace zb
