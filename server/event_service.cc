#include "server/event_service.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "convert/proto_convert.h"
#include "convert/validate.h"
#include "server/status.h"

namespace gavel::server {
namespace {

absl::Status Expired(const grpc::CallbackServerContext& ctx) {
  if (ctx.deadline() > std::chrono::system_clock::now()) return absl::OkStatus();
  return absl::DeadlineExceededError("the request's deadline passed before the events were read");
}

}  // namespace

EventServiceImpl::EventServiceImpl(billing::Billing* billing, int workers, int max_queued)
    : billing_(billing), max_queued_(max_queued) {
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { Work(); });
}

EventServiceImpl::~EventServiceImpl() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    cv_.SignalAll();
  }
  for (std::thread& t : workers_) t.join();
}

grpc::ServerUnaryReactor* EventServiceImpl::ReportEvents(
    grpc::CallbackServerContext* ctx, const gavel::v1::ReportEventsRequest* request,
    gavel::v1::ReportEventsResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::Status st = Expired(*ctx);
  if (st.ok()) st = convert::ValidateReportEventsRequest(*request);
  if (st.ok()) {
    MutexLock lock(&mu_);
    if (static_cast<int>(queue_.size()) >= max_queued_) {
      st = absl::ResourceExhaustedError(
          absl::StrCat("overloaded: ", max_queued_,
                       " event batches are waiting for the ledger; retry with backoff"));
    } else {
      queue_.push_back({ctx, reactor, request, response});
      cv_.Signal();
      return reactor;  // A worker finishes the call.
    }
  }
  reactor->Finish(ToGrpcStatus(st));
  return reactor;
}

void EventServiceImpl::Work() {
  while (true) {
    Batch batch;
    {
      MutexLock lock(&mu_);
      while (queue_.empty() && !stopping_) cv_.Wait(&mu_);
      if (queue_.empty()) return;  // stopping, and nothing left to answer
      batch = queue_.front();
      queue_.pop_front();
    }
    Ingest(batch);
  }
}

void EventServiceImpl::Ingest(const Batch& batch) {
  // A batch that waited past its deadline does nothing: the client has given up on it.
  absl::Status st = Expired(*batch.ctx);
  if (st.ok()) {
    absl::StatusOr<std::vector<billing::EventResult>> results =
        billing_->Ingest(convert::EventsFromProto(*batch.request));
    if (results.ok()) {
      convert::EventResultsToProto(*batch.request, *results, batch.response);
    } else {
      st = results.status();
    }
  }
  batch.reactor->Finish(ToGrpcStatus(st));
}

}  // namespace gavel::server
