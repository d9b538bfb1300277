#include "server/event_service.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <iterator>

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

EventServiceImpl::EventServiceImpl(billing::Billing* billing, const CallerAuth* callers,
                                   int workers, int max_queued, metrics::GavelMetrics* metrics,
                                   TrainingLogger* training)
    : billing_(billing),
      callers_(callers),
      training_(training),
      max_queued_(max_queued),
      metrics_(metrics) {
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
  absl::Status st = callers_->Authenticate(ctx->client_metadata()).status();
  if (st.ok()) st = Expired(*ctx);
  if (st.ok()) st = convert::ValidateReportEventsRequest(*request);
  if (st.ok()) {
    MutexLock lock(&mu_);
    if (static_cast<int>(queue_.size()) >= max_queued_) {
      if (metrics_ != nullptr) metrics_->RecordShed(metrics::Service::kEvents);
      st = absl::ResourceExhaustedError(
          absl::StrCat("overloaded: ", max_queued_,
                       " event batches are waiting for the ledger; retry with backoff"));
    } else {
      queue_.push_back({ctx, reactor, request, response});
      cv_.Signal();
      return reactor;  // A worker finishes the call.
    }
  }
  if (metrics_ != nullptr && st.code() == absl::StatusCode::kDeadlineExceeded) {
    metrics_->RecordDeadlineExpired(metrics::Service::kEvents);
  }
  reactor->Finish(ToGrpcStatus(st));
  return reactor;
}

grpc::ServerUnaryReactor* EventServiceImpl::ReportPurchases(
    grpc::CallbackServerContext* ctx, const gavel::v1::ReportPurchasesRequest* request,
    gavel::v1::ReportPurchasesResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::Status st = callers_->Authenticate(ctx->client_metadata()).status();
  if (st.ok()) st = Expired(*ctx);
  if (st.ok()) {
    absl::StatusOr<std::vector<billing::PurchaseOutcome>> outcomes =
        billing_->IngestPurchases(convert::PurchasesFromProto(*request));
    st = outcomes.status();
    if (st.ok()) convert::PurchaseResultsToProto(*request, *outcomes, response);
  }
  reactor->Finish(ToGrpcStatus(st));
  return reactor;
}

void EventServiceImpl::Work() {
  // Ingestion yields the CPU to auctions: gRPC's callback threads keep nice 0 (Linux applies nice
  // per thread). A busy ingest worker at nice 10 gets about a tenth of a core an auction thread
  // wants, so events queue (and are shed) before auctions slow down.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), kIngestNice);
  std::vector<Batch> merged;
  while (true) {
    merged.clear();
    {
      MutexLock lock(&mu_);
      while (queue_.empty() && !stopping_) cv_.Wait(&mu_);
      if (queue_.empty()) return;  // stopping, and nothing left to answer
      // Every call waiting now goes into one ingest (one lock, one ledger append, one wait), up to
      // kMaxMergedEvents events.
      size_t events = 0;
      while (!queue_.empty() && (merged.empty() || events + queue_.front().request->events_size() <=
                                                       kMaxMergedEvents)) {
        events += queue_.front().request->events_size();
        merged.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    Ingest(merged);
  }
}

void EventServiceImpl::Ingest(absl::Span<const Batch> calls) {
  // A call that waited past its deadline does nothing: the client has given up on it.
  std::vector<const Batch*> live;
  std::vector<billing::Event> events;
  for (const Batch& call : calls) {
    absl::Status st = Expired(*call.ctx);
    if (!st.ok()) {
      if (metrics_ != nullptr) metrics_->RecordDeadlineExpired(metrics::Service::kEvents);
      call.reactor->Finish(ToGrpcStatus(st));
      continue;
    }
    live.push_back(&call);
    std::vector<billing::Event> mine = convert::EventsFromProto(*call.request);
    events.insert(events.end(), std::make_move_iterator(mine.begin()),
                  std::make_move_iterator(mine.end()));
  }
  if (live.empty()) return;
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::vector<billing::EventResult>> results = billing_->Ingest(events);
  if (metrics_ != nullptr) {
    metrics_->RecordIngest(
        events,
        results.ok() ? absl::MakeConstSpan(*results) : absl::Span<const billing::EventResult>(),
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                             start)
            .count());
  }
  if (training_ != nullptr && results.ok()) training_->Clicks(events, *results, absl::Now());
  size_t offset = 0;
  for (const Batch* call : live) {
    const size_t n = static_cast<size_t>(call->request->events_size());
    if (results.ok()) {
      convert::EventResultsToProto(*call->request, absl::MakeConstSpan(results->data() + offset, n),
                                   call->response);
    }
    offset += n;
    call->reactor->Finish(ToGrpcStatus(results.status()));
  }
}

}  // namespace gavel::server
