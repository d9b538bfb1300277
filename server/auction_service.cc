#include "server/auction_service.h"

#include <chrono>
#include <memory>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "convert/proto_convert.h"
#include "convert/validate.h"
#include "google/protobuf/arena.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "server/parse_errors.h"
#include "server/status.h"

namespace gavel::server {
namespace {

// A typical call (a few hundred bytes in, four winners with tokens out) fits in the first block;
// larger ones (explain, many candidates) add blocks that the next Reset frees.
constexpr size_t kArenaFirstBlockBytes = 64 << 10;

// One arena per gRPC thread, reset after every call. Calls on one thread run one at a time: the
// handler parses, runs and serializes before it returns.
google::protobuf::Arena& ThreadArena() {
  struct Holder {
    std::unique_ptr<char[]> block{new char[kArenaFirstBlockBytes]};
    google::protobuf::Arena arena{[this] {
      google::protobuf::ArenaOptions options;
      options.initial_block = block.get();
      options.initial_block_size = kArenaFirstBlockBytes;
      return options;
    }()};
  };
  thread_local Holder holder;
  return holder.arena;
}

absl::Status Run(engine::Engine* engine, const auth::Client& client,
                 grpc::CallbackServerContext* ctx, const gavel::v1::RunAuctionRequest& request,
                 gavel::v1::RunAuctionResponse* response) {
  // An expired request does nothing at all: no pacing draws, no tokens.
  if (ctx->deadline() <= std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError("the request's deadline passed before the auction ran");
  }
  absl::Status st = convert::ValidateRunAuctionRequest(request);
  if (!st.ok()) return st;
  thread_local engine::AuctionRequest domain_request;
  thread_local engine::AuctionResult result;
  thread_local absl::BitGen gen;
  st = convert::AuctionRequestFromProto(request, &domain_request);
  if (!st.ok()) return st;
  st = auth::CheckAuction(client, domain_request);
  if (!st.ok()) return st;
  domain_request.bind_caller_candidates = true;
  st = engine->RunAuction(domain_request, gen, &result);
  if (!st.ok()) return st;
  convert::AuctionResultToProto(result, response);
  result.serving.reset();  // Do not pin an old catalog between requests.
  return absl::OkStatus();
}

grpc::Status Serve(engine::Engine* engine, const auth::Client& client,
                   grpc::CallbackServerContext* ctx, const grpc::ByteBuffer& request_bytes,
                   grpc::ByteBuffer* response_bytes) {
  google::protobuf::Arena& arena = ThreadArena();
  auto* request = google::protobuf::Arena::CreateMessage<gavel::v1::RunAuctionRequest>(&arena);
  grpc::Status status = ParseRequest(request_bytes, request);
  if (status.ok()) {
    auto* response = google::protobuf::Arena::CreateMessage<gavel::v1::RunAuctionResponse>(&arena);
    status = ToGrpcStatus(Run(engine, client, ctx, *request, response));
    if (status.ok()) {
      bool own_buffer = false;
      status = grpc::GenericSerialize<grpc::ProtoBufferWriter, gavel::v1::RunAuctionResponse>(
          *response, response_bytes, &own_buffer);
    }
  }
  arena.Reset();  // the response is copied into gRPC's slices by now
  return status;
}

}  // namespace

AuctionServiceImpl::AuctionServiceImpl(engine::Engine* engine, const CallerAuth* callers,
                                       int max_in_flight)
    : engine_(engine), callers_(callers), max_in_flight_(max_in_flight) {}

AuctionServiceImpl::~AuctionServiceImpl() = default;

grpc::ServerUnaryReactor* AuctionServiceImpl::RunAuction(grpc::CallbackServerContext* ctx,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const int in_flight = in_flight_.fetch_add(1, std::memory_order_relaxed) + 1;
  grpc::Status status;
  if (in_flight > max_in_flight_) {
    status = ToGrpcStatus(absl::ResourceExhaustedError(
        absl::StrCat("overloaded: the limit of ", max_in_flight_,
                     " auctions in flight is reached; retry with backoff")));
  } else if (absl::StatusOr<Caller> caller = callers_->Authenticate(ctx->client_metadata());
             !caller.ok()) {
    status = ToGrpcStatus(caller.status());
  } else {
    status = Serve(engine_, *caller->client, ctx, *request, response);
  }
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  reactor->Finish(status);
  return reactor;
}

}  // namespace gavel::server
