#include "common/rpc/server.h"

#include <fstream>
#include <string>

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
  auto before = CheckHealth(channel, "zhibiao.v1.StorageService", absl::Seconds(5));
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(*before, "NOT_SERVING");
  (*server)->SetServing(true);
  EXPECT_EQ(*CheckHealth(channel, "", absl::Seconds(5)), "SERVING");
  EXPECT_EQ(*CheckHealth(channel, "zhibiao.v1.StorageService", absl::Seconds(5)), "SERVING");
  (*server)->Shutdown();
  EXPECT_FALSE(CheckHealth(channel, "", absl::Milliseconds(500)).ok());
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
