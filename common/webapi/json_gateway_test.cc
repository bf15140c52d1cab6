#include "common/webapi/json_gateway.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "zhibiao/v1/query.grpc.pb.h"

namespace zb::webapi {
namespace {

// Answers Rank with what it was asked and who asked; refuses region 000000.
class FakeQuery final : public zhibiao::v1::QueryService::Service {
 public:
  grpc::Status Rank(grpc::ServerContext* context, const zhibiao::v1::RankRequest* request,
                    zhibiao::v1::RankResponse* reply) override {
    auto auth = context->client_metadata().find("authorization");
    if (auth == context->client_metadata().end()) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no bearer token");
    }
    if (request->metric_key() == "bad") {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "unknown metric_key \"bad\"");
    }
    reply->set_metric_key(request->metric_key());
    reply->set_year(request->year());
    reply->set_unit(std::string(auth->second.data(), auth->second.size()));
    reply->add_regions()->set_region_code("460000");
    return grpc::Status::OK;
  }
};

class JsonGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_GT(port, 0);
    address_ = "127.0.0.1:" + std::to_string(port);
    gateway_ = std::make_unique<QueryJsonGateway>(
        grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()),
        QueryJsonGateway::Options{"query " + address_, absl::Seconds(5), absl::Seconds(10)});
  }
  void TearDown() override { server_->Shutdown(); }

  FakeQuery service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::unique_ptr<QueryJsonGateway> gateway_;
};

TEST_F(JsonGatewayTest, EveryQueryServiceMethodIsServed) {
  const std::vector<std::string> names = gateway_->MethodNames();
  const auto* service = zhibiao::v1::QueryService::service_full_name();
  EXPECT_STREQ(service, "zhibiao.v1.QueryService");
  EXPECT_EQ(names.size(), 10u);
  for (const char* m : {"GetReport", "ListReports", "Aggregate", "GetSection", "ListMetrics",
                        "TimeSeries", "Rank", "Compare", "SearchIndicators", "ListRegions"}) {
    EXPECT_TRUE(gateway_->HasMethod(m)) << m;
  }
}

TEST_F(JsonGatewayTest, ARequestAndItsReplyTravelAsProtobufJson) {
  absl::StatusOr<std::string> json = gateway_->CallJson(
      "Rank",
      R"({"metricKey":"economy.gdp","year":2026,"options":{"figures":"METRIC_FIGURES_TARGET_CHANGES"}})",
      {"Bearer t0ken", absl::ZeroDuration()});
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_NE(json->find(R"("metricKey":"economy.gdp")"), std::string::npos) << *json;
  EXPECT_NE(json->find(R"("year":2026)"), std::string::npos);
  EXPECT_NE(json->find(R"("unit":"Bearer t0ken")"), std::string::npos);  // the header went through
  EXPECT_NE(json->find(R"("regionsRanked":0)"), std::string::npos);      // zero fields printed too
  // proto field names are accepted as well as their JSON names.
  EXPECT_TRUE(gateway_->ParseRequest("Rank", R"({"metric_key":"x"})").ok());
  EXPECT_TRUE(gateway_->ParseRequest("Rank", "").ok());
}

TEST_F(JsonGatewayTest, BadJsonNamesTheFieldAndTheRequest) {
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> r =
      gateway_->ParseRequest("Rank", R"({"metricKye":"economy.gdp"})");
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("metricKye"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("zhibiao.v1.RankRequest"), std::string::npos);
  r = gateway_->ParseRequest("Rank", R"({"year":"twenty"})");
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("year"), std::string::npos) << r.status();
  EXPECT_EQ(gateway_->ParseRequest("Rank", "{not json").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(JsonGatewayTest, AnUnknownMethodIsNotFoundAndListsTheMethods) {
  absl::StatusOr<std::string> r = gateway_->CallJson("DropTables", "{}", {});
  ASSERT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("SearchIndicators"), std::string::npos);
}

TEST_F(JsonGatewayTest, QuerysStatusComesBackWithItsMessage) {
  absl::StatusOr<std::string> r =
      gateway_->CallJson("Rank", R"({"metricKey":"bad"})", {"Bearer x", {}});
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "unknown metric_key \"bad\"");
  EXPECT_EQ(gateway_->CallJson("Rank", "{}", {}).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(gateway_->CallJson("Compare", "{}", {"Bearer x", {}}).status().code(),
            absl::StatusCode::kUnimplemented);
}

TEST_F(JsonGatewayTest, QueryDownIsUnavailableNamingIt) {
  server_->Shutdown();
  absl::StatusOr<std::string> r = gateway_->CallJson("Rank", "{}", {"Bearer x", absl::Seconds(2)});
  ASSERT_TRUE(r.status().code() == absl::StatusCode::kUnavailable ||
              r.status().code() == absl::StatusCode::kDeadlineExceeded)
      << r.status();
  EXPECT_NE(r.status().message().find("query " + address_), std::string::npos) << r.status();
}

}  // namespace
}  // namespace zb::webapi
