#include "server/caller_auth.h"

#include <map>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace gavel::server {
namespace {

constexpr char kKey[] = "client-key-0123456789abcdef";

// Metadata as gRPC hands it over; the strings must outlive it.
Metadata With(const std::string& name, const std::string& value) {
  Metadata m;
  m.emplace(grpc::string_ref(name), grpc::string_ref(value));
  return m;
}

std::shared_ptr<const auth::Clients> OneClient() {
  return *auth::Clients::Parse(absl::StrCat("client web\nkey web sha256:",
                                            absl::BytesToHexString(auth::KeyDigest(kKey)), "\n"),
                               "clients.txt");
}

TEST(BearerKey, TakesTheKeyAfterACaseInsensitiveScheme) {
  const std::string name = "authorization";
  for (const std::string value : {"Bearer k-1", "bearer k-1", "BEARER   k-1  "}) {
    EXPECT_EQ(BearerKey(With(name, value)), "k-1") << value;
  }
}

TEST(BearerKey, IsEmptyWithoutTheEntryOrWithAnotherScheme) {
  EXPECT_EQ(BearerKey(Metadata()), "");
  const std::string name = "authorization", basic = "Basic dXNlcjpwdw==", bare = "k-1";
  EXPECT_EQ(BearerKey(With(name, basic)), "");
  EXPECT_EQ(BearerKey(With(name, bare)), "");
  const std::string other = "x-api-key", value = "Bearer k-1";
  EXPECT_EQ(BearerKey(With(other, value)), "");
}

TEST(CallerAuth, AKnownKeyIsItsClient) {
  CallerAuth auth(OneClient());
  const std::string name = "authorization", value = absl::StrCat("Bearer ", kKey);
  absl::StatusOr<Caller> caller = auth.Authenticate(With(name, value));
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->client->name, "web");
}

TEST(CallerAuth, AMissingOrUnknownKeyIsUnauthenticatedWithoutQuotingIt) {
  CallerAuth auth(OneClient());
  EXPECT_EQ(auth.Authenticate(Metadata()).status().code(), absl::StatusCode::kUnauthenticated);
  const std::string name = "authorization", value = "Bearer wrong-key-0123456789abcdef";
  absl::Status st = auth.Authenticate(With(name, value)).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(st.message(), "unknown client key");
}

TEST(CallerAuth, InsecureGrantsEveryoneEverything) {
  std::unique_ptr<CallerAuth> auth = CallerAuth::Insecure();
  absl::StatusOr<Caller> caller = auth->Authenticate(Metadata());
  ASSERT_TRUE(caller.ok());
  EXPECT_EQ(caller->client, &auth::Client::Unrestricted());
  EXPECT_TRUE(auth->insecure());
}

TEST(CallerAuth, AReplacedFileServesTheNextCall) {
  CallerAuth auth(OneClient());
  const std::string name = "authorization", value = absl::StrCat("Bearer ", kKey);
  absl::StatusOr<Caller> before = auth.Authenticate(With(name, value));
  ASSERT_TRUE(before.ok());
  auth.Replace(*auth::Clients::Parse("client web\n", "clients.txt"));  // its key revoked
  EXPECT_EQ(auth.Authenticate(With(name, value)).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(before->client->name, "web");  // the earlier call still holds its file
}

}  // namespace
}  // namespace gavel::server
