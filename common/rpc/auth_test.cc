#include "common/rpc/auth.h"

#include <fstream>

#include "gtest/gtest.h"

namespace zb {
namespace {

TEST(TokenStoreTest, ParsesNamesScopesAndTokensAndNamesTheBadLine) {
  auto parsed = TokenStore::Parse(
      "# comment\n\ningest-svc ingest 0123456789abcdef0123\nops admin,query "
      "abcdefghijklmnopqrst\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->size(), 2u);

  auto short_token = TokenStore::Parse("a ingest short\n");
  EXPECT_EQ(short_token.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(short_token.status().message().find("line 1"), absl::string_view::npos);
  auto bad_scope = TokenStore::Parse("\na root 0123456789abcdef0123\n");
  EXPECT_NE(bad_scope.status().message().find("line 2: unknown scope \"root\""),
            absl::string_view::npos);
  EXPECT_FALSE(TokenStore::Parse("a ingest\n").ok());
  EXPECT_FALSE(
      TokenStore::Parse("a ingest 0123456789abcdef0123\nb query 0123456789abcdef0123\n").ok());
}

TEST(TokenStoreTest, FindsByTokenAndReloadKeepsOldTokensOnError) {
  const std::string path = ::testing::TempDir() + "/tokens";
  { std::ofstream(path) << "ci ingest,query 0123456789abcdef0123\n"; }
  auto store = TokenStore::Load(path);
  ASSERT_TRUE(store.ok()) << store.status();
  auto found = (*store)->Find("0123456789abcdef0123");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->name, "ci");
  EXPECT_EQ(found->scopes,
            static_cast<uint32_t>(Scope::kIngest) | static_cast<uint32_t>(Scope::kQuery));
  EXPECT_EQ((*store)->Find("nope").status().code(), absl::StatusCode::kNotFound);

  { std::ofstream(path) << "broken\n"; }
  EXPECT_FALSE((*store)->Reload().ok());
  EXPECT_TRUE((*store)->Find("0123456789abcdef0123").ok());  // still the old set

  { std::ofstream(path) << "other admin zyxwvutsrqponmlkjihg\n"; }
  ASSERT_TRUE((*store)->Reload().ok());
  EXPECT_FALSE((*store)->Find("0123456789abcdef0123").ok());
  EXPECT_TRUE((*store)->Find("zyxwvutsrqponmlkjihg").ok());
}

TEST(CredentialsTest, RefusesHalfATlsConfiguration) {
  TlsFiles only_cert;
  only_cert.cert = "/nonexistent/cert.pem";
  EXPECT_EQ(MakeServerCredentials(only_cert).status().code(), absl::StatusCode::kInvalidArgument);
  TlsFiles missing_files;
  missing_files.cert = "/nonexistent/cert.pem";
  missing_files.key = "/nonexistent/key.pem";
  auto s = MakeServerCredentials(missing_files);
  EXPECT_NE(s.status().message().find("/nonexistent/cert.pem"), absl::string_view::npos);
  TlsFiles mtls_without_ca = missing_files;
  mtls_without_ca.require_client_cert = true;
  EXPECT_NE(MakeServerCredentials(mtls_without_ca).status().message().find("--tls_ca"),
            absl::string_view::npos);
  EXPECT_TRUE(MakeServerCredentials(TlsFiles{}).ok());  // insecure
}

}  // namespace
}  // namespace zb
