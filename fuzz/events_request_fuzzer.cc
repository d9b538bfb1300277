// ReportEvents request bytes through what the event service does before billing: protobuf parse,
// convert/validate.h, convert/proto_convert.h, and the answer's conversion back. A valid batch
// must convert to one event per request event, and its answer must have one result per event.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "billing/rules.h"
#include "convert/proto_convert.h"
#include "convert/validate.h"
#include "gavel/v1/events.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gavel::v1::ReportEventsRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  if (!gavel::convert::ValidateReportEventsRequest(request).ok()) return 0;
  std::vector<gavel::billing::Event> events = gavel::convert::EventsFromProto(request);
  if (events.size() != static_cast<size_t>(request.events_size())) std::abort();
  std::vector<gavel::billing::EventResult> results(events.size());
  for (size_t i = 0; i < results.size(); ++i) {
    results[i].outcome = static_cast<gavel::billing::Outcome>(1 + i % 5);
  }
  gavel::v1::ReportEventsResponse response;
  gavel::convert::EventResultsToProto(request, results, &response);
  if (response.results_size() != request.events_size()) std::abort();
  return 0;
}
