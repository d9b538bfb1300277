#include "server/parse_errors.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "google/protobuf/stubs/logging.h"
#include "grpcpp/impl/codegen/proto_buffer_reader.h"
#include "grpcpp/support/interceptor.h"

namespace gavel::server {
namespace {

// The last error protobuf logged on this thread. gRPC parses a request and runs the
// POST_RECV_MESSAGE interceptors on the same thread, so the interceptor reads what the parse said.
thread_local std::string last_protobuf_error;

void CaptureLog(google::protobuf::LogLevel level, const char* filename, int line,
                const std::string& message) {
  if (level >= google::protobuf::LOGLEVEL_ERROR) last_protobuf_error = message;
  static const char* const kNames[] = {"INFO", "WARNING", "ERROR", "FATAL"};
  std::fprintf(stderr, "[libprotobuf %s %s:%d] %s\n", kNames[level], filename, line,
               message.c_str());
}

class ParseErrorInterceptor final : public grpc::experimental::Interceptor {
 public:
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_RECV_MESSAGE)) {
      last_protobuf_error.clear();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      failed_ = true;
      error_ = ParseErrorMessage(last_protobuf_error);
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) && failed_ &&
        methods->GetSendStatus().error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      methods->ModifySendStatus(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, error_));
    }
    methods->Proceed();
  }

 private:
  bool failed_ = false;
  std::string error_;
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    for (absl::string_view m : kSelfParsedMethods) {
      if (info->method() != nullptr && m == info->method()) return nullptr;
    }
    return new ParseErrorInterceptor();
  }
};

}  // namespace

std::string ParseErrorMessage(absl::string_view protobuf_error) {
  // protobuf: "String field 'gavel.v1.RunAuctionRequest.query' contains invalid UTF-8 data ..."
  const size_t open = protobuf_error.find("String field '");
  if (open != absl::string_view::npos) {
    const size_t start = open + 14;
    const size_t end = protobuf_error.find('\'', start);
    if (end != absl::string_view::npos) {
      return absl::StrCat(protobuf_error.substr(start, end - start), " must be valid UTF-8");
    }
  }
  return "the request is not a valid protobuf message of the method's request type";
}

grpc::Status ParseRequest(const grpc::ByteBuffer& bytes, google::protobuf::MessageLite* message) {
  last_protobuf_error.clear();
  // ProtoBufferReader only reads the buffer; it takes a non-const pointer for gRPC's C API.
  grpc::ProtoBufferReader reader(const_cast<grpc::ByteBuffer*>(&bytes));
  if (!reader.status().ok()) return reader.status();
  if (!message->ParseFromZeroCopyStream(&reader)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, ParseErrorMessage(last_protobuf_error));
  }
  return grpc::Status::OK;
}

void InstallParseErrorCapture() { google::protobuf::SetLogHandler(&CaptureLog); }

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
ParseErrorInterceptors() {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> v;
  v.push_back(std::make_unique<Factory>());
  return v;
}

}  // namespace gavel::server
