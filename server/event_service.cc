#include "server/event_service.h"

#include <chrono>

#include "server/proto_convert.h"
#include "server/status.h"
#include "server/validate.h"

namespace gavel::server {

grpc::ServerUnaryReactor* EventServiceImpl::ReportEvents(
    grpc::CallbackServerContext* ctx, const gavel::v1::ReportEventsRequest* request,
    gavel::v1::ReportEventsResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::Status st;
  if (ctx->deadline() <= std::chrono::system_clock::now()) {
    st = absl::DeadlineExceededError("the request's deadline passed before the events were read");
  } else {
    st = ValidateReportEventsRequest(*request);
  }
  if (st.ok()) {
    absl::StatusOr<std::vector<billing::EventResult>> results =
        billing_->Ingest(EventsFromProto(*request));
    if (results.ok()) {
      EventResultsToProto(*request, *results, response);
    } else {
      st = results.status();
    }
  }
  reactor->Finish(ToGrpcStatus(st));
  return reactor;
}

}  // namespace gavel::server
