#include "auth/clients.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace gavel::auth {
namespace {

constexpr char kWebKey[] = "web-key-0123456789abcdef";
constexpr char kWebNextKey[] = "web-key-rotated-0123456789";
constexpr char kDspKey[] = "dsp-key-0123456789abcdef";
constexpr char kSonicAdminKey[] = "sonic-admin-0123456789abcdef";

std::string Hex(absl::string_view key) {
  return "sha256:" + absl::BytesToHexString(KeyDigest(key));
}

std::string GoodFile() {
  return absl::StrCat("# the storefront: catalog auctions on search and product pages\n",
                      "client web placements=top_of_search,rest_of_search,product_page\n",
                      "key web ", Hex(kWebKey), "\n", "key web ", Hex(kWebNextKey),
                      "   # while web rotates its key\n", "\n",
                      "client dsp candidates=yes advertisers=adv-a,adv-b\n", "key dsp ",
                      Hex(kDspKey), "\n", "admin adv-sonic ", Hex(kSonicAdminKey), "\n");
}

std::shared_ptr<const Clients> Parsed(const std::string& text) {
  auto clients = Clients::Parse(text, "clients.txt");
  EXPECT_TRUE(clients.ok()) << clients.status();
  return clients.ok() ? *clients : nullptr;
}

void ExpectError(const std::string& text, const std::string& message) {
  auto clients = Clients::Parse(text, "clients.txt");
  ASSERT_FALSE(clients.ok());
  EXPECT_EQ(clients.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(clients.status().message(), message);
}

engine::AuctionRequest Request(catalog::Placement placement,
                               std::vector<std::string> candidate_advertisers = {}) {
  engine::AuctionRequest r;
  r.targeting.placement = placement;
  for (std::string& a : candidate_advertisers) {
    r.external.push_back({.candidate_id = "c", .advertiser_id = std::move(a)});
  }
  return r;
}

TEST(KeyDigest, IsTheSha256OfTheKey) {
  EXPECT_EQ(absl::BytesToHexString(KeyDigest("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // FIPS 180-2
}

TEST(Clients, EveryKeyOfAClientFindsIt) {
  auto clients = Parsed(GoodFile());
  ASSERT_NE(clients, nullptr);
  EXPECT_EQ(clients->client_count(), 2u);
  EXPECT_EQ(clients->key_count(), 4u);
  const Client* web = clients->FindClient(kWebKey);
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->name, "web");
  EXPECT_EQ(clients->FindClient(kWebNextKey), web);  // both keys while rotating
  ASSERT_NE(clients->FindClient(kDspKey), nullptr);
  EXPECT_EQ(clients->FindClient(kDspKey)->name, "dsp");
}

TEST(Clients, UnknownKeysAndKeysOfTheOtherKindFindNothing) {
  auto clients = Parsed(GoodFile());
  ASSERT_NE(clients, nullptr);
  EXPECT_EQ(clients->FindClient("not-a-key-0123456789"), nullptr);
  EXPECT_EQ(clients->FindClient(""), nullptr);
  EXPECT_EQ(clients->FindClient(std::string(kWebKey) + "x"), nullptr);
  EXPECT_EQ(clients->FindClient(kSonicAdminKey), nullptr);  // an admin key is no client key
  EXPECT_EQ(clients->FindAdvertiserAdmin(kWebKey), nullptr);
  ASSERT_NE(clients->FindAdvertiserAdmin(kSonicAdminKey), nullptr);
  EXPECT_EQ(*clients->FindAdvertiserAdmin(kSonicAdminKey), "adv-sonic");
}

TEST(Clients, ARemovedKeyLineRevokesThatKeyOnly) {
  std::string text = GoodFile();
  const std::string old_line = absl::StrCat("key web ", Hex(kWebKey), "\n");
  text.erase(text.find(old_line), old_line.size());
  auto clients = Parsed(text);
  ASSERT_NE(clients, nullptr);
  EXPECT_EQ(clients->FindClient(kWebKey), nullptr);
  EXPECT_NE(clients->FindClient(kWebNextKey), nullptr);
}

TEST(Clients, KeysMayComeBeforeTheirClientAndHexMayBeUpperCase) {
  std::string hex = Hex(kWebKey);
  for (size_t i = 7; i < hex.size(); ++i) hex[i] = absl::ascii_toupper(hex[i]);
  auto clients = Parsed(absl::StrCat("key web ", hex, "\nclient web\n"));
  ASSERT_NE(clients, nullptr);
  EXPECT_NE(clients->FindClient(kWebKey), nullptr);
}

TEST(Clients, BadLinesNameTheFileAndLine) {
  ExpectError("client web\nkey web abc\n",
              "clients.txt:2: a key must be given as sha256: and the 64 hex digits of its SHA-256 "
              "(printf %s \"$KEY\" | sha256sum); the file never holds the key itself");
  ExpectError("\n\nclients web\n", "clients.txt:3: unknown statement; known: client, key, admin");
  ExpectError("client web placements=search\n",
              "clients.txt:1: placements: unknown placement \"search\"; known: "
              "top_of_search,rest_of_search,product_page,category_page,home_page,checkout, or * "
              "for all");
  ExpectError("client web candidates=maybe\n",
              "clients.txt:1: candidates must be yes or no, got \"maybe\"");
  ExpectError(
      "client web color=red\n",
      "clients.txt:1: unknown grant \"color\"; known: placements=, candidates=, advertisers=");
  ExpectError("client dsp candidates=yes\n",
              "clients.txt:1: client dsp has candidates=yes but no advertisers= to bring them for");
  ExpectError("client web\nclient web\n", "clients.txt:2: client web is declared twice");
  ExpectError("client\n", "clients.txt:1: client needs a name: client NAME [grants]");
  ExpectError("client w/eb\n",
              "clients.txt:1: a client name must be 1-128 bytes of [A-Za-z0-9._:-], got \"w/eb\"");
  ExpectError(absl::StrCat("client web\nkey web ", Hex(kWebKey), " extra\n"),
              "clients.txt:2: key takes two fields: key CLIENT sha256:HEX");
  ExpectError(absl::StrCat("key ghost ", Hex(kWebKey), "\n"),
              "clients.txt:1: key for client ghost, which no client line declares");
  ExpectError(
      absl::StrCat("client web\nkey web ", Hex(kWebKey), "\nadmin adv-a ", Hex(kWebKey), "\n"),
      "clients.txt:3: the same key is already given on line 2");
}

TEST(Clients, LoadNamesAFileItCannotRead) {
  auto clients = Clients::Load("/nonexistent/clients.txt");
  EXPECT_EQ(clients.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(clients.status().message(), "--clients_file /nonexistent/clients.txt: cannot open");
}

TEST(CheckAuction, AGrantedPlacementWithoutCandidatesIsAllowed) {
  auto clients = Parsed(GoodFile());
  ASSERT_NE(clients, nullptr);
  const Client& web = *clients->FindClient(kWebKey);
  EXPECT_TRUE(CheckAuction(web, Request(catalog::Placement::kProductPage)).ok());
}

TEST(CheckAuction, APlacementNotGrantedIsPermissionDenied) {
  auto clients = Parsed(GoodFile());
  ASSERT_NE(clients, nullptr);
  absl::Status st =
      CheckAuction(*clients->FindClient(kWebKey), Request(catalog::Placement::kCheckout));
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(st.message(), "client web is not granted placement checkout");
}

TEST(CheckAuction, CandidatesNeedTheGrant) {
  auto clients = Parsed(GoodFile());
  ASSERT_NE(clients, nullptr);
  absl::Status st = CheckAuction(*clients->FindClient(kWebKey),
                                 Request(catalog::Placement::kTopOfSearch, {"adv-a"}));
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(st.message(), "client web is not granted caller candidates (candidates=yes)");
}

TEST(CheckAuction, CandidatesMayNameOnlyGrantedAdvertisers) {
  auto clients = Parsed(GoodFile());
  ASSERT_NE(clients, nullptr);
  const Client& dsp = *clients->FindClient(kDspKey);
  EXPECT_TRUE(CheckAuction(dsp, Request(catalog::Placement::kHomePage, {"adv-a", "adv-b"})).ok());
  absl::Status st =
      CheckAuction(dsp, Request(catalog::Placement::kHomePage, {"adv-a", "adv-b", "adv-c"}));
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(st.message(), "candidates[2].advertiser_id \"adv-c\" is not granted to client dsp");
}

TEST(CheckAuction, UnrestrictedGrantsEverything) {
  EXPECT_TRUE(CheckAuction(Client::Unrestricted(),
                           Request(catalog::Placement::kCheckout, {"anyone", "else"}))
                  .ok());
}

TEST(CheckAuction, AllAdvertisersIsAStar) {
  auto clients = Parsed(absl::StrCat(
      "client any placements=* candidates=yes advertisers=*\nkey any ", Hex(kDspKey), "\n"));
  ASSERT_NE(clients, nullptr);
  EXPECT_TRUE(
      CheckAuction(*clients->FindClient(kDspKey), Request(catalog::Placement::kCheckout, {"adv-z"}))
          .ok());
}

}  // namespace
}  // namespace gavel::auth
