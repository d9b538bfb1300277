// RunAuction request bytes through what the auction service does: protobuf parse,
// convert/validate.h, convert/proto_convert.h, an auction on the engine over a small synthetic
// catalog (caller candidates included, tokens signed), and the result back to proto.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>

#include "absl/time/time.h"
#include "billing/token.h"
#include "common/clock.h"
#include "convert/proto_convert.h"
#include "convert/validate.h"
#include "engine/engine.h"
#include "gavel/v1/auction.pb.h"
#include "targeting/snapshot.h"
#include "targeting/synthetic.h"

namespace {

struct World {
  gavel::SimulatedClock clock{absl::FromUnixSeconds(1'780'000'000)};
  gavel::engine::OpenGate gate;
  gavel::billing::TokenIssuer issuer{gavel::billing::Keyring::InsecureDevDefault(), &clock};
  gavel::engine::Engine engine{&gate, &issuer, &clock};

  World() {
    std::mt19937_64 rng(42);
    auto snapshot = gavel::targeting::CatalogSnapshot::Build(
        gavel::targeting::GenerateCatalog({.num_ads = 300}, rng), 1);
    if (!snapshot.ok()) std::abort();
    engine.Publish(std::make_shared<const gavel::engine::Serving>(
        gavel::engine::Serving{.catalog = *snapshot, .rules = {}}));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* world = new World;
  gavel::v1::RunAuctionRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  if (!gavel::convert::ValidateRunAuctionRequest(request).ok()) return 0;
  gavel::engine::AuctionRequest domain;
  if (!gavel::convert::AuctionRequestFromProto(request, &domain).ok()) return 0;
  std::mt19937_64 gen(7);
  gavel::engine::AuctionResult result;
  if (!world->engine.RunAuction(domain, gen, &result).ok()) return 0;
  gavel::v1::RunAuctionResponse response;
  gavel::convert::AuctionResultToProto(result, &response);
  // Second price never charges more than the bid.
  for (const gavel::engine::AdOutcome& w : result.winners) {
    if (w.cpc_micros > w.bid_micros || w.cpc_micros < 0) std::abort();
  }
  return 0;
}
