#include "server/auction_service.h"

#include <chrono>

#include "absl/random/random.h"
#include "google/protobuf/arena.h"
#include "grpcpp/support/message_allocator.h"
#include "absl/strings/str_cat.h"
#include "server/proto_convert.h"
#include "server/status.h"
#include "server/validate.h"

namespace gavel::server {
namespace {

absl::Status Run(engine::Engine* engine, grpc::CallbackServerContext* ctx,
                 const gavel::v1::RunAuctionRequest& request,
                 gavel::v1::RunAuctionResponse* response) {
  // An expired request does nothing at all: no pacing draws, no tokens.
  if (ctx->deadline() <= std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError("the request's deadline passed before the auction ran");
  }
  absl::Status st = ValidateRunAuctionRequest(request);
  if (!st.ok()) return st;
  thread_local engine::AuctionRequest domain_request;
  thread_local engine::AuctionResult result;
  thread_local absl::BitGen gen;
  st = AuctionRequestFromProto(request, &domain_request);
  if (!st.ok()) return st;
  st = engine->RunAuction(domain_request, gen, &result);
  if (!st.ok()) return st;
  AuctionResultToProto(result, response);
  result.serving.reset();  // Do not pin an old catalog between requests.
  return absl::OkStatus();
}

}  // namespace

// Puts each call's request and response on a fresh arena, freed when gRPC releases the call.
class AuctionServiceImpl::ArenaAllocator final
    : public grpc::MessageAllocator<gavel::v1::RunAuctionRequest, gavel::v1::RunAuctionResponse> {
 public:
  grpc::MessageHolder<gavel::v1::RunAuctionRequest, gavel::v1::RunAuctionResponse>*
  AllocateMessages() override {
    return new Holder();
  }

 private:
  class Holder final
      : public grpc::MessageHolder<gavel::v1::RunAuctionRequest, gavel::v1::RunAuctionResponse> {
   public:
    Holder() {
      set_request(google::protobuf::Arena::CreateMessage<gavel::v1::RunAuctionRequest>(&arena_));
      set_response(google::protobuf::Arena::CreateMessage<gavel::v1::RunAuctionResponse>(&arena_));
    }
    void Release() override { delete this; }

   private:
    google::protobuf::Arena arena_;
  };
};

AuctionServiceImpl::AuctionServiceImpl(engine::Engine* engine, int max_in_flight)
    : allocator_(std::make_unique<ArenaAllocator>()),
      engine_(engine),
      max_in_flight_(max_in_flight) {
  SetMessageAllocatorFor_RunAuction(allocator_.get());
}

AuctionServiceImpl::~AuctionServiceImpl() = default;

grpc::ServerUnaryReactor* AuctionServiceImpl::RunAuction(grpc::CallbackServerContext* ctx,
                                                         const gavel::v1::RunAuctionRequest* request,
                                                         gavel::v1::RunAuctionResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const int in_flight = in_flight_.fetch_add(1, std::memory_order_relaxed) + 1;
  absl::Status st;
  if (in_flight > max_in_flight_) {
    st = absl::ResourceExhaustedError(absl::StrCat(
        "overloaded: the limit of ", max_in_flight_,
        " auctions in flight is reached; retry with backoff"));
  } else {
    st = Run(engine_, ctx, *request, response);
  }
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  reactor->Finish(ToGrpcStatus(st));
  return reactor;
}

}  // namespace gavel::server
