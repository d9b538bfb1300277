// Turns a request that protobuf cannot parse into INVALID_ARGUMENT naming the field.
//
// gRPC 1.51's callback API answers a request whose bytes do not parse (most often a proto3 string
// field holding invalid UTF-8, such as a shopper's query) with UNIMPLEMENTED and no message. This
// server interceptor sees the failed parse and rewrites that status to INVALID_ARGUMENT, with the
// field protobuf named in its parse error, e.g.
//   "gavel.v1.RunAuctionRequest.query must be valid UTF-8".
//
//   InstallParseErrorCapture();  // once, before the server starts
//   builder.experimental().SetInterceptorCreators(ParseErrorInterceptors());
//
// Methods that parse their own request bytes (AuctionService.RunAuction, see auction_service.h)
// get no interceptor: they call ParseRequest, which names the field the same way without gRPC's
// per-call interceptor machinery on the hot path.
//
// Thread-safe. InstallParseErrorCapture replaces protobuf's process-wide log handler with one that
// still prints every message to stderr.
#ifndef GAVEL_SERVER_PARSE_ERRORS_H_
#define GAVEL_SERVER_PARSE_ERRORS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/message_lite.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_interceptor.h"
#include "grpcpp/support/status.h"

namespace gavel::server {

void InstallParseErrorCapture();

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
ParseErrorInterceptors();

// The message for a failed parse, given the protobuf error logged on this thread (may be empty).
std::string ParseErrorMessage(absl::string_view protobuf_error);

// Parses `bytes` into `message`. OK, or INVALID_ARGUMENT with ParseErrorMessage's text. The named
// field comes from protobuf's log, so InstallParseErrorCapture must have run for it to be named.
grpc::Status ParseRequest(const grpc::ByteBuffer& bytes, google::protobuf::MessageLite* message);

// Full method names that parse their own requests and get no interceptor.
inline constexpr absl::string_view kSelfParsedMethods[] = {"/gavel.v1.AuctionService/RunAuction"};

}  // namespace gavel::server

#endif  // GAVEL_SERVER_PARSE_ERRORS_H_
