// EventService over gRPC's callback API: validate, convert, ingest through billing (which answers
// only after the batch is durable), convert back, finish. Does not own billing. Thread-safe.
#ifndef GAVEL_SERVER_EVENT_SERVICE_H_
#define GAVEL_SERVER_EVENT_SERVICE_H_

#include "billing/billing.h"
#include "gavel/v1/events.grpc.pb.h"

namespace gavel::server {

class EventServiceImpl final : public gavel::v1::EventService::CallbackService {
 public:
  explicit EventServiceImpl(billing::Billing* billing) : billing_(billing) {}

  grpc::ServerUnaryReactor* ReportEvents(grpc::CallbackServerContext* ctx,
                                         const gavel::v1::ReportEventsRequest* request,
                                         gavel::v1::ReportEventsResponse* response) override;

 private:
  billing::Billing* const billing_;
};

}  // namespace gavel::server

#endif  // GAVEL_SERVER_EVENT_SERVICE_H_
