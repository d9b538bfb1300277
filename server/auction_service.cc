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

// One thread's domain request and result, reused by every call on it.
struct CallScratch {
  engine::AuctionRequest request;
  engine::AuctionResult result;
  absl::BitGen gen;
};

CallScratch& ThreadCall() {
  thread_local CallScratch call;
  return call;
}

absl::Status Run(engine::Engine* engine, const auth::Client& client, TrainingLogger* training,
                 grpc::CallbackServerContext* ctx, const gavel::v1::RunAuctionRequest& request,
                 bool time_phases, CallScratch& call,
                 gavel::v1::RunAuctionResponse* response) {
  // An expired request does nothing at all: no pacing draws, no tokens.
  if (ctx->deadline() <= std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError("the request's deadline passed before the auction ran");
  }
  absl::Status st = convert::ValidateRunAuctionRequest(request);
  if (!st.ok()) return st;
  st = convert::AuctionRequestFromProto(request, &call.request);
  if (!st.ok()) return st;
  st = auth::CheckAuction(client, call.request);
  if (!st.ok()) return st;
  call.request.bind_caller_candidates = true;
  call.request.time_phases = time_phases;
  st = engine->RunAuction(call.request, call.gen, &call.result);
  if (!st.ok()) return st;
  if (training != nullptr) training->Impressions(call.request, call.result, absl::Now());
  convert::AuctionResultToProto(call.result, response);
  if (call.request.explain) {
    response->set_model_version(call.result.serving->catalog->model().version());
  }
  return absl::OkStatus();
}

// Records a finished call that started at `start` in the metrics and the request log (either may
// be null).
void Record(metrics::GavelMetrics* metrics, metrics::RequestLog* log,
            std::chrono::steady_clock::time_point start, const grpc::Status& status,
            const CallScratch& call) {
  if (metrics == nullptr && log == nullptr) return;
  const int64_t nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count();
  if (log != nullptr && status.ok()) {
    log->Append(metrics::AuctionLogLine(absl::Now(), nanos, call.result));
  }
  if (metrics == nullptr) return;
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      metrics->RecordDeadlineExpired(metrics::Service::kAuction);
    }
    metrics->RecordAuctionError(static_cast<absl::StatusCode>(status.error_code()), nanos);
    return;
  }
  metrics->RecordAuction({.placement = call.request.targeting.placement,
                          .mechanism = call.result.mechanism,
                          .slots = call.request.targeting.slots,
                          .nanos = nanos},
                         call.result);
}

grpc::Status Serve(engine::Engine* engine, const auth::Client& client, TrainingLogger* training,
                   metrics::GavelMetrics* metrics, metrics::RequestLog* log,
                   grpc::CallbackServerContext* ctx, const grpc::ByteBuffer& request_bytes,
                   grpc::ByteBuffer* response_bytes) {
  const auto start = metrics != nullptr || log != nullptr ? std::chrono::steady_clock::now()
                                                          : std::chrono::steady_clock::time_point();
  google::protobuf::Arena& arena = ThreadArena();
  CallScratch& call = ThreadCall();
  auto* request = google::protobuf::Arena::CreateMessage<gavel::v1::RunAuctionRequest>(&arena);
  grpc::Status status = ParseRequest(request_bytes, request);
  if (status.ok()) {
    auto* response = google::protobuf::Arena::CreateMessage<gavel::v1::RunAuctionResponse>(&arena);
    status = ToGrpcStatus(Run(engine, client, training, ctx, *request, metrics != nullptr, call, response));
    if (status.ok()) {
      bool own_buffer = false;
      status = grpc::GenericSerialize<grpc::ProtoBufferWriter, gavel::v1::RunAuctionResponse>(
          *response, response_bytes, &own_buffer);
    }
  }
  arena.Reset();                              // the response is copied into gRPC's slices by now
  Record(metrics, log, start, status, call);  // reads the winners' ids in the snapshot
  call.result.serving.reset();                // so only now: do not pin an old catalog
  return status;
}

}  // namespace

AuctionServiceImpl::AuctionServiceImpl(engine::Engine* engine, const CallerAuth* callers,
                                       int max_in_flight, metrics::GavelMetrics* metrics,
                                       metrics::RequestLog* request_log, TrainingLogger* training)
    : engine_(engine),
      callers_(callers),
      training_(training),
      max_in_flight_(max_in_flight),
      metrics_(metrics),
      request_log_(request_log) {}

AuctionServiceImpl::~AuctionServiceImpl() = default;

grpc::ServerUnaryReactor* AuctionServiceImpl::RunAuction(grpc::CallbackServerContext* ctx,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const int in_flight = in_flight_.fetch_add(1, std::memory_order_relaxed) + 1;
  grpc::Status status;
  if (in_flight > max_in_flight_) {
    if (metrics_ != nullptr) metrics_->RecordShed(metrics::Service::kAuction);
    status = ToGrpcStatus(absl::ResourceExhaustedError(
        absl::StrCat("overloaded: the limit of ", max_in_flight_,
                     " auctions in flight is reached; retry with backoff")));
  } else if (absl::StatusOr<Caller> caller = callers_->Authenticate(ctx->client_metadata());
             !caller.ok()) {
    status = ToGrpcStatus(caller.status());
  } else {
    status = Serve(engine_, *caller->client, training_, metrics_, request_log_, ctx, *request, response);
  }
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  reactor->Finish(status);
  return reactor;
}

}  // namespace gavel::server
