// EventService over gRPC's callback API. Validation runs on gRPC's thread; ingestion (which waits
// for the ledger's fsync) runs on a small pool of this service's own threads at a lower CPU
// priority (nice kIngestNice), so neither a slow disk nor a flood of impressions holds the threads
// auctions run on. A worker takes every call waiting in the queue (up to kMaxMergedEvents events)
// into one Billing::Ingest, so small batches from many callers share one lock, one ledger append
// and one fsync. Each call is answered when billing's contract says (docs/billing.md, "What is
// durable when"). When `max_queued` calls already wait, new ones get RESOURCE_EXHAUSTED; a call
// whose deadline passes while it waits is answered DEADLINE_EXCEEDED and has no effect.
//
// Every call is authenticated first (caller_auth.h: UNAUTHENTICATED without a known client key);
// any known client may report events, since the signed token, not the caller, names what is
// charged. Does not own billing or `callers`. Thread-safe. Destroy it only after the gRPC server
// has shut down.
#ifndef GAVEL_SERVER_EVENT_SERVICE_H_
#define GAVEL_SERVER_EVENT_SERVICE_H_

#include <deque>
#include <thread>
#include <vector>

#include "absl/types/span.h"
#include "billing/billing.h"
#include "common/sync.h"
#include "metrics/gavel_metrics.h"
#include "gavel/v1/events.grpc.pb.h"
#include "server/caller_auth.h"
#include "server/training_logger.h"

namespace gavel::server {

class EventServiceImpl final : public gavel::v1::EventService::CallbackService {
 public:
  static constexpr int kIngestNice = 10;
  static constexpr int kMaxMergedEvents = 8192;

  // `workers` threads ingest concurrently, so their batches share the ledger's group commit.
  // `metrics` (may be null) records every ingest, shed and expired call; with a `training` logger
  // (may be null), accepted clicks are logged for training. Both must outlive this.
  EventServiceImpl(billing::Billing* billing, const CallerAuth* callers, int workers = 16,
                   int max_queued = 4096, metrics::GavelMetrics* metrics = nullptr,
                   TrainingLogger* training = nullptr);
  ~EventServiceImpl() override;

  grpc::ServerUnaryReactor* ReportEvents(grpc::CallbackServerContext* ctx,
                                         const gavel::v1::ReportEventsRequest* request,
                                         gavel::v1::ReportEventsResponse* response) override;
  // Runs on the calling gRPC thread (purchases are few next to events): convert, record, answer.
  grpc::ServerUnaryReactor* ReportPurchases(grpc::CallbackServerContext* ctx,
                                            const gavel::v1::ReportPurchasesRequest* request,
                                            gavel::v1::ReportPurchasesResponse* response) override;

 private:
  struct Batch {
    grpc::CallbackServerContext* ctx;
    grpc::ServerUnaryReactor* reactor;
    const gavel::v1::ReportEventsRequest* request;
    gavel::v1::ReportEventsResponse* response;
  };
  void Work();
  void Ingest(absl::Span<const Batch> calls);

  billing::Billing* const billing_;
  const CallerAuth* const callers_;
  TrainingLogger* const training_;
  const int max_queued_;
  metrics::GavelMetrics* const metrics_;
  Mutex mu_;
  CondVar cv_;
  std::deque<Batch> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace gavel::server

#endif  // GAVEL_SERVER_EVENT_SERVICE_H_
