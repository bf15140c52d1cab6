#include "common/rpc/channels.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/rpc/server.h"
#include "gtest/gtest.h"

namespace zb {
namespace {

TEST(ParseAddressListTest, SplitsAndTrims) {
  auto list = ParseAddressList("127.0.0.1:1, 127.0.0.1:2", "storage");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1], "127.0.0.1:2");
}

TEST(ParseAddressListTest, RejectsEmptyAndPortlessItemsNamingTheFlag) {
  auto empty = ParseAddressList(" ", "storage");
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(empty.status().message().find("--storage"), absl::string_view::npos);
  auto bad = ParseAddressList("127.0.0.1:1,,x", "storage");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CheckHealthTest, UnreachableServerIsUnavailable) {
  // Port 1 on loopback: nothing listens there in a test sandbox.
  auto status = CheckHealth(MakeChannel("127.0.0.1:1"), "", absl::Milliseconds(300));
  EXPECT_FALSE(status.ok());
}

// A loopback port nothing listens on, kept bound (not listening) so that no
// other process takes it; a server can still bind it, because gRPC sets
// SO_REUSEPORT too. Until one does, connections to it are refused.
class ReservedPort {
 public:
  ReservedPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), length) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      port_ = ntohs(address.sin_port);
    }
  }
  ~ReservedPort() { close(fd_); }
  // "127.0.0.1:PORT"; empty if no port could be reserved.
  std::string address() const { return port_ == 0 ? "" : absl::StrCat("127.0.0.1:", port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(WaitForConnectionTest, WaitsThroughRefusedAttemptsForAServerThatComesUp) {
  ReservedPort port;
  ASSERT_FALSE(port.address().empty());
  auto channel = MakeChannel(port.address());
  std::unique_ptr<Server> server;
  std::thread start([&] {
    absl::SleepFor(absl::Milliseconds(300));  // several attempts are refused first
    ServerOptions options;
    options.listen = port.address();
    auto started = Server::Start(options, {});
    if (started.ok()) server = *std::move(started);
  });
  const absl::Status connected = WaitForConnection(channel, absl::Seconds(20));
  start.join();
  ASSERT_NE(server, nullptr);
  EXPECT_TRUE(connected.ok()) << connected;
  EXPECT_TRUE(CheckHealth(channel, "", absl::Seconds(5)).ok());  // it answers
  server->Shutdown();
}

TEST(WaitForConnectionTest, UnreachableIsUnavailableAndTheCallNamesTheAddress) {
  ReservedPort port;
  ASSERT_FALSE(port.address().empty());
  auto channel = MakeChannel(port.address());
  const absl::Status connected = WaitForConnection(channel, absl::Milliseconds(300));
  EXPECT_EQ(connected.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(connected.message().find("not connected after 300ms"), absl::string_view::npos)
      << connected;
  auto health = CheckHealth(channel, "", absl::Seconds(5));
  EXPECT_EQ(health.status().code(), absl::StatusCode::kUnavailable);
  // It names the address (the reason is gRPC's: "Connection refused").
  EXPECT_NE(health.status().message().find(port.address()), absl::string_view::npos)
      << health.status();
}

}  // namespace
}  // namespace zb
