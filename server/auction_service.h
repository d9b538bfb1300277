// AuctionService over gRPC's callback API: check the deadline and the load, parse, validate,
// convert, call the engine, convert back, serialize, finish.
//
// RunAuction is registered raw (gRPC hands over the request bytes and takes the response bytes):
// the request and response are parsed and built on a per-thread protobuf arena with a fixed first
// block, serialized before Finish, and the arena is reset for the next call, so a call allocates
// no arena memory after warm-up. Parsing here also names the field of an unparsable request (see
// parse_errors.h) without a per-call interceptor. Does not own the engine. Thread-safe.
#ifndef GAVEL_SERVER_AUCTION_SERVICE_H_
#define GAVEL_SERVER_AUCTION_SERVICE_H_

#include <atomic>

#include "engine/engine.h"
#include "server/training_logger.h"
#include "gavel/v1/auction.grpc.pb.h"

namespace gavel::server {

class AuctionServiceImpl final : public gavel::v1::AuctionService::WithRawCallbackMethod_RunAuction<
                                     gavel::v1::AuctionService::Service> {
 public:
  // Beyond `max_in_flight` concurrent auctions, new ones are shed with RESOURCE_EXHAUSTED rather
  // than queued. With a `training` logger (not owned; may be null), every auction's impressions
  // are logged for training.
  AuctionServiceImpl(engine::Engine* engine, int max_in_flight, TrainingLogger* training = nullptr);
  ~AuctionServiceImpl() override;

  grpc::ServerUnaryReactor* RunAuction(grpc::CallbackServerContext* ctx,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;

 private:
  engine::Engine* const engine_;
  TrainingLogger* const training_;
  const int max_in_flight_;
  std::atomic<int> in_flight_{0};
};

}  // namespace gavel::server

#endif  // GAVEL_SERVER_AUCTION_SERVICE_H_
