#include "auth/clients.h"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace gavel::auth {
namespace {

// The placements' names in the clients file, by catalog::Placement (index 0 is unspecified).
constexpr absl::string_view kPlacementNames[catalog::kNumPlacements] = {
    "",          "top_of_search", "rest_of_search", "product_page", "category_page",
    "home_page", "checkout"};

constexpr size_t kMaxNameBytes = 128;
constexpr absl::string_view kDigestPrefix = "sha256:";

bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != ':' && c != '-') return false;
  }
  return true;
}

// One line being parsed: its location for errors.
struct Line {
  absl::string_view file;
  int number;
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(file, ":", number, ": ", what));
  }
};

absl::StatusOr<std::string> ParseName(const Line& line, absl::string_view what,
                                      absl::string_view name) {
  if (!ValidName(name)) {
    return line.Error(absl::StrCat(what, " must be 1-", kMaxNameBytes,
                                   " bytes of [A-Za-z0-9._:-], got \"", name, "\""));
  }
  return std::string(name);
}

// "sha256:" and 64 hex digits -> the raw 32-byte digest.
absl::StatusOr<std::string> ParseDigest(const Line& line, absl::string_view text) {
  absl::string_view hex = text;
  if (!absl::ConsumePrefix(&hex, kDigestPrefix) || hex.size() != 64 ||
      !std::all_of(hex.begin(), hex.end(), [](char c) { return absl::ascii_isxdigit(c); })) {
    return line.Error(
        "a key must be given as sha256: and the 64 hex digits of its SHA-256 (printf %s \"$KEY\" "
        "| sha256sum); the file never holds the key itself");
  }
  return absl::HexStringToBytes(absl::AsciiStrToLower(hex));
}

absl::Status ParsePlacements(const Line& line, absl::string_view value, Client* client) {
  if (value == "*") {
    for (int p = 1; p < catalog::kNumPlacements; ++p) client->placements[p] = true;
    return absl::OkStatus();
  }
  client->placements = {};
  for (absl::string_view name : absl::StrSplit(value, ',')) {
    int found = 0;
    for (int p = 1; p < catalog::kNumPlacements; ++p) {
      if (name == kPlacementNames[p]) found = p;
    }
    if (found == 0) {
      return line.Error(absl::StrCat(
          "placements: unknown placement \"", name, "\"; known: ",
          absl::StrJoin(std::begin(kPlacementNames) + 1, std::end(kPlacementNames), ","),
          ", or * for all"));
    }
    client->placements[found] = true;
  }
  return absl::OkStatus();
}

absl::Status ParseGrant(const Line& line, absl::string_view field, Client* client) {
  const std::pair<absl::string_view, absl::string_view> kv =
      absl::StrSplit(field, absl::MaxSplits('=', 1));
  const auto& [name, value] = kv;
  if (name == "placements") return ParsePlacements(line, value, client);
  if (name == "candidates") {
    if (value != "yes" && value != "no") {
      return line.Error(absl::StrCat("candidates must be yes or no, got \"", value, "\""));
    }
    client->caller_candidates = value == "yes";
    return absl::OkStatus();
  }
  if (name == "advertisers") {
    client->all_advertisers = value == "*";
    client->advertisers.clear();
    if (client->all_advertisers) return absl::OkStatus();
    for (absl::string_view id : absl::StrSplit(value, ',')) {
      absl::StatusOr<std::string> parsed = ParseName(line, "an advertiser id", id);
      if (!parsed.ok()) return parsed.status();
      client->advertisers.insert(*std::move(parsed));
    }
    return absl::OkStatus();
  }
  return line.Error(
      absl::StrCat("unknown grant \"", name, "\"; known: placements=, candidates=, advertisers="));
}

// `client NAME grant...`. Every placement is granted unless placements= says otherwise; caller
// candidates only with candidates=yes, which needs advertisers=.
absl::StatusOr<std::unique_ptr<Client>> ParseClient(const Line& line,
                                                    const std::vector<absl::string_view>& words) {
  if (words.size() < 2) return line.Error("client needs a name: client NAME [grants]");
  auto client = std::make_unique<Client>();
  absl::StatusOr<std::string> name = ParseName(line, "a client name", words[1]);
  if (!name.ok()) return name.status();
  client->name = *std::move(name);
  for (int p = 1; p < catalog::kNumPlacements; ++p) client->placements[p] = true;
  for (size_t i = 2; i < words.size(); ++i) {
    if (absl::Status st = ParseGrant(line, words[i], client.get()); !st.ok()) return st;
  }
  if (client->caller_candidates && !client->all_advertisers && client->advertisers.empty()) {
    return line.Error(absl::StrCat("client ", client->name,
                                   " has candidates=yes but no advertisers= to bring them for"));
  }
  return client;
}

absl::StatusOr<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("--clients_file ", path, ": cannot open"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

const Client& Client::Unrestricted() {
  static const Client* const kUnrestricted = [] {
    auto* c = new Client{.name = "insecure-no-client-auth"};
    for (int p = 1; p < catalog::kNumPlacements; ++p) c->placements[p] = true;
    c->caller_candidates = true;
    c->all_advertisers = true;
    return c;
  }();
  return *kUnrestricted;
}

std::string KeyDigest(absl::string_view key) {
  // One fetched SHA-256 and one context per thread: EVP_Digest would look the algorithm up and
  // allocate a context on every call, on the auction path.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local struct Ctx {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Ctx() { EVP_MD_CTX_free(ctx); }
  } holder;
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestInit_ex(holder.ctx, kSha256, nullptr) != 1 ||
      EVP_DigestUpdate(holder.ctx, key.data(), key.size()) != 1 ||
      EVP_DigestFinal_ex(holder.ctx, out, &len) != 1) {
    return std::string();  // matches no stored digest
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

absl::StatusOr<std::shared_ptr<const Clients>> Clients::Parse(absl::string_view text,
                                                              absl::string_view file) {
  auto clients = std::shared_ptr<Clients>(new Clients());
  absl::flat_hash_map<std::string, Client*> by_name;
  absl::flat_hash_map<std::string, int> digest_line;  // where each key was first given
  struct PendingKey {
    Line line;
    std::string client, digest;
  };
  std::vector<PendingKey> client_keys;
  int number = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    const Line line{file, ++number};
    absl::string_view content = raw.substr(0, raw.find('#'));
    std::vector<absl::string_view> words =
        absl::StrSplit(content, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (words.empty()) continue;
    if (words[0] == "client") {
      absl::StatusOr<std::unique_ptr<Client>> client = ParseClient(line, words);
      if (!client.ok()) return client.status();
      if (!by_name.emplace((*client)->name, client->get()).second) {
        return line.Error(absl::StrCat("client ", (*client)->name, " is declared twice"));
      }
      clients->clients_.push_back(*std::move(client));
      continue;
    }
    if (words[0] != "key" && words[0] != "admin") {
      // The word is not quoted back: it could be a key pasted on a line of its own.
      return line.Error("unknown statement; known: client, key, admin");
    }
    if (words.size() != 3) {
      return line.Error(absl::StrCat(words[0], " takes two fields: ", words[0],
                                     words[0] == "key" ? " CLIENT" : " ADVERTISER_ID",
                                     " sha256:HEX"));
    }
    absl::StatusOr<std::string> owner = ParseName(line, "a name", words[1]);
    if (!owner.ok()) return owner.status();
    absl::StatusOr<std::string> digest = ParseDigest(line, words[2]);
    if (!digest.ok()) return digest.status();
    if (auto [it, added] = digest_line.emplace(*digest, number); !added) {
      return line.Error(absl::StrCat("the same key is already given on line ", it->second));
    }
    if (words[0] == "key") {
      client_keys.push_back({line, *std::move(owner), *std::move(digest)});
    } else {
      clients->keys_[*std::move(digest)] = Holder{.advertiser = *std::move(owner)};
    }
  }
  for (PendingKey& k : client_keys) {  // clients may be declared after their keys
    auto it = by_name.find(k.client);
    if (it == by_name.end()) {
      return k.line.Error(
          absl::StrCat("key for client ", k.client, ", which no client line declares"));
    }
    clients->keys_[std::move(k.digest)] = Holder{.client = it->second};
  }
  return std::shared_ptr<const Clients>(std::move(clients));
}

absl::StatusOr<std::shared_ptr<const Clients>> Clients::Load(const std::string& path) {
  absl::StatusOr<std::string> text = ReadAll(path);
  if (!text.ok()) return text.status();
  return Parse(*text, path);
}

const Clients::Holder* Clients::Find(absl::string_view key) const {
  if (key.size() < kMinKeyBytes || key.size() > kMaxKeyBytes) return nullptr;
  auto it = keys_.find(KeyDigest(key));
  return it == keys_.end() ? nullptr : &it->second;
}

const Client* Clients::FindClient(absl::string_view key) const {
  const Holder* h = Find(key);
  return h == nullptr ? nullptr : h->client;
}

const std::string* Clients::FindAdvertiserAdmin(absl::string_view key) const {
  const Holder* h = Find(key);
  return h == nullptr || h->client != nullptr ? nullptr : &h->advertiser;
}

absl::Status CheckAuction(const Client& client, const engine::AuctionRequest& request) {
  const int placement = static_cast<int>(request.targeting.placement);
  if (placement <= 0 || placement >= catalog::kNumPlacements || !client.placements[placement]) {
    return absl::PermissionDeniedError(absl::StrCat(
        "client ", client.name, " is not granted placement ",
        placement > 0 && placement < catalog::kNumPlacements ? kPlacementNames[placement]
                                                             : absl::string_view("unspecified")));
  }
  if (request.external.empty()) return absl::OkStatus();
  if (!client.caller_candidates) {
    return absl::PermissionDeniedError(
        absl::StrCat("client ", client.name, " is not granted caller candidates (candidates=yes)"));
  }
  if (client.all_advertisers) return absl::OkStatus();
  for (size_t i = 0; i < request.external.size(); ++i) {
    const std::string& advertiser = request.external[i].advertiser_id;
    if (!client.advertisers.contains(advertiser)) {
      return absl::PermissionDeniedError(absl::StrCat("candidates[", i, "].advertiser_id \"",
                                                      advertiser, "\" is not granted to client ",
                                                      client.name));
    }
  }
  return absl::OkStatus();
}

}  // namespace gavel::auth
