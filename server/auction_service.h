// AuctionService over gRPC's callback API: check the deadline and the load, validate, convert,
// call the engine, convert back, finish. Each call's request and response live on one protobuf
// arena (one allocation block per call instead of one per message and string). Does not own the
// engine. Thread-safe.
#ifndef GAVEL_SERVER_AUCTION_SERVICE_H_
#define GAVEL_SERVER_AUCTION_SERVICE_H_

#include <atomic>
#include <memory>

#include "engine/engine.h"
#include "gavel/v1/auction.grpc.pb.h"

namespace gavel::server {

class AuctionServiceImpl final : public gavel::v1::AuctionService::CallbackService {
 public:
  // Beyond `max_in_flight` concurrent auctions, new ones are shed with RESOURCE_EXHAUSTED rather
  // than queued.
  AuctionServiceImpl(engine::Engine* engine, int max_in_flight);
  ~AuctionServiceImpl() override;

  grpc::ServerUnaryReactor* RunAuction(grpc::CallbackServerContext* ctx,
                                       const gavel::v1::RunAuctionRequest* request,
                                       gavel::v1::RunAuctionResponse* response) override;

 private:
  class ArenaAllocator;

  std::unique_ptr<ArenaAllocator> allocator_;
  engine::Engine* const engine_;
  const int max_in_flight_;
  std::atomic<int> in_flight_{0};
};

}  // namespace gavel::server

#endif  // GAVEL_SERVER_AUCTION_SERVICE_H_
