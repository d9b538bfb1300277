// AuctionService over gRPC's callback API: check the deadline and the load, parse, validate,
// convert, call the engine, convert back, serialize, finish.
//
// RunAuction is registered raw (gRPC hands over the request bytes and takes the response bytes):
// the request and response are parsed and built on a per-thread protobuf arena with a fixed first
// block, serialized before Finish, and the arena is reset for the next call, so a call allocates
// no arena memory after warm-up. Parsing here also names the field of an unparsable request (see
// parse_errors.h) without a per-call interceptor.
//
// A call is authenticated first (caller_auth.h: UNAUTHENTICATED before the request is parsed),
// then validated and converted, then checked against its client's grants (PERMISSION_DENIED), and
// its caller candidates are bound to the catalog (engine::AuctionRequest::bind_caller_candidates).
// Does not own the engine or `callers`. Thread-safe.
#ifndef GAVEL_SERVER_AUCTION_SERVICE_H_
#define GAVEL_SERVER_AUCTION_SERVICE_H_

#include <atomic>

#include "engine/engine.h"
#include "server/training_logger.h"
#include "gavel/v1/auction.grpc.pb.h"
#include "metrics/gavel_metrics.h"
#include "metrics/request_log.h"
#include "server/caller_auth.h"

namespace gavel::server {

class AuctionServiceImpl final : public gavel::v1::AuctionService::WithRawCallbackMethod_RunAuction<
                                     gavel::v1::AuctionService::Service> {
 public:
  // Beyond `max_in_flight` concurrent auctions, new ones are shed with RESOURCE_EXHAUSTED rather
  // than queued. `metrics` (may be null: no metrics, no phase timing) records every call;
  // `request_log` (may be null) gets a line per successful auction; with a `training` logger (may
  // be null), every auction's impressions are logged for training. All must outlive this object.
  AuctionServiceImpl(engine::Engine* engine, const CallerAuth* callers, int max_in_flight,
                     metrics::GavelMetrics* metrics = nullptr,
                     metrics::RequestLog* request_log = nullptr,
                     TrainingLogger* training = nullptr);
  ~AuctionServiceImpl() override;

  grpc::ServerUnaryReactor* RunAuction(grpc::CallbackServerContext* ctx,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;

  // Auctions being served now.
  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

 private:
  engine::Engine* const engine_;
  const CallerAuth* const callers_;
  TrainingLogger* const training_;
  const int max_in_flight_;
  metrics::GavelMetrics* const metrics_;
  metrics::RequestLog* const request_log_;
  std::atomic<int> in_flight_{0};
};

}  // namespace gavel::server

#endif  // GAVEL_SERVER_AUCTION_SERVICE_H_
