#include "tools/loadgen/runner.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/random/distributions.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/client_key.h"
#include "common/grpc_channel.h"
#include "common/sync.h"
#include "gavel/v1/auction.grpc.pb.h"
#include "gavel/v1/events.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "tools/loadgen/histogram.h"
#include "tools/loadgen/schedule.h"

namespace gavel::loadgen {
namespace {

// A monotonic clock as absl::Time: latencies must not jump with NTP. Only differences and
// comparisons with other MonoNow() values are meaningful.
absl::Time MonoNow() {
  return absl::UnixEpoch() + absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string StatusCodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < 17 ? kNames[i] : absl::StrCat("CODE_", i);
}

std::chrono::system_clock::time_point Deadline(absl::Duration timeout) {
  return std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout);
}

// One RPC in flight; its address is the completion-queue tag.
struct Call {
  enum class Kind { kAuction, kEvents };
  explicit Call(Kind k) : kind(k) {}
  virtual ~Call() = default;
  const Kind kind;
  grpc::ClientContext context;
  grpc::Status status;
  absl::Time intended;
  absl::Time sent;
};

struct AuctionCall : Call {
  AuctionCall() : Call(Kind::kAuction) {}
  gavel::v1::RunAuctionRequest request;
  gavel::v1::RunAuctionResponse response;
  std::unique_ptr<grpc::ClientAsyncResponseReader<gavel::v1::RunAuctionResponse>> reader;
};

struct EventsCall : Call {
  EventsCall() : Call(Kind::kEvents) {}
  gavel::v1::ReportEventsRequest request;
  gavel::v1::ReportEventsResponse response;
  std::unique_ptr<grpc::ClientAsyncResponseReader<gavel::v1::ReportEventsResponse>> reader;
  int64_t impressions = 0;
  int64_t clicks = 0;
};

// One worker's counts over the measured window; merged into the report at the end.
struct Tally {
  int64_t requests = 0;
  int64_t ok = 0;
  std::map<std::string, int64_t> errors;
  int64_t not_sent = 0;
  Histogram latency;
  Histogram service_time;
  Histogram send_lag;
  int64_t event_rpcs = 0;
  int64_t event_rpcs_ok = 0;
  std::map<std::string, int64_t> event_rpc_errors;
  int64_t impressions = 0;
  int64_t clicks = 0;
  int64_t events_not_sent = 0;
  std::map<std::string, int64_t> event_outcomes;
  Histogram event_latency;

  void Merge(const Tally& o) {
    requests += o.requests;
    ok += o.ok;
    for (const auto& [k, v] : o.errors) errors[k] += v;
    not_sent += o.not_sent;
    latency.Merge(o.latency);
    service_time.Merge(o.service_time);
    send_lag.Merge(o.send_lag);
    event_rpcs += o.event_rpcs;
    event_rpcs_ok += o.event_rpcs_ok;
    for (const auto& [k, v] : o.event_rpc_errors) event_rpc_errors[k] += v;
    impressions += o.impressions;
    clicks += o.clicks;
    events_not_sent += o.events_not_sent;
    for (const auto& [k, v] : o.event_outcomes) event_outcomes[k] += v;
    event_latency.Merge(o.event_latency);
  }
};

class LoadRun;

// A completion queue, its polling thread and a channel. Completions are handled only on the
// worker's thread; StartAuction may be called from any thread.
class Worker {
 public:
  Worker(LoadRun* run, int index, std::shared_ptr<grpc::Channel> channel, uint64_t seed)
      : run_(run),
        index_(index),
        auction_stub_(gavel::v1::AuctionService::NewStub(channel)),
        event_stub_(gavel::v1::EventService::NewStub(channel)),
        gen_(seed) {}

  // Starts the polling thread; closed loop, it first sends `initial_calls`.
  void Start(int initial_calls) {
    thread_ = std::thread([this, initial_calls] { Loop(initial_calls); });
  }
  // Stops polling once every call is done (the caller ensures none will be started) and joins.
  void ShutdownAndJoin() {
    cq_.Shutdown();
    thread_.join();
  }

  // Sends `call` (its request filled in), timed from `intended`. Thread-safe.
  void StartAuction(std::unique_ptr<AuctionCall> call, absl::Time intended);

  // Counts a measured call the open-loop pacer could not send.
  void CountNotSent() {
    MutexLock lock(&mu_);
    ++tally_.not_sent;
  }
  // Moves out the latency histogram of calls completed since the last call (progress lines).
  void TakeInterval(Histogram* into) {
    MutexLock lock(&mu_);
    into->Merge(interval_);
    interval_.Reset();
  }
  Tally TakeTally() {
    MutexLock lock(&mu_);
    return std::move(tally_);
  }

 private:
  void Loop(int initial_calls);
  void OnAuctionDone(std::unique_ptr<AuctionCall> call, absl::Time done);
  void OnEventsDone(std::unique_ptr<EventsCall> call, absl::Time done);
  void MaybeReportEvents(const AuctionCall& auction);

  LoadRun* const run_;
  const int index_;
  grpc::CompletionQueue cq_;
  std::unique_ptr<gavel::v1::AuctionService::Stub> auction_stub_;
  std::unique_ptr<gavel::v1::EventService::Stub> event_stub_;
  // Used only on the worker's thread: closed-loop requests and the event mix.
  std::mt19937_64 gen_;
  int64_t next_event_ = 0;
  std::thread thread_;

  Mutex mu_;
  // Calls started on this worker's queue and not yet completed (auctions and events).
  int64_t calls_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  Tally tally_ ABSL_GUARDED_BY(mu_);
  Histogram interval_ ABSL_GUARDED_BY(mu_);
};

// One run: configuration, the window, shared counters and the workers.
class LoadRun {
 public:
  LoadRun(const LoadConfig& config, const RequestSampler& sampler)
      : config_(config),
        sampler_(sampler),
        open_loop_(config.rate > 0),
        run_id_(absl::StrFormat("%x-%d", absl::GetCurrentTimeNanos(), config.seed)) {}

  absl::StatusOr<LoadReport> Run();

  // Fills `call`'s request from `gen` (or the fixed echo request) with a fresh request id.
  void FillRequest(std::mt19937_64& gen, int worker, AuctionCall* call) {
    if (config_.service == "echo") {
      call->request = echo_request_;
    } else {
      sampler_.Sample(gen, &call->request);
    }
    call->request.set_request_id(
        absl::StrCat("lg-", worker, "-", request_counter_.fetch_add(1, std::memory_order_relaxed)));
  }

  const LoadConfig& config() const { return config_; }
  const RunWindow& window() const { return window_; }
  bool open_loop() const { return open_loop_; }
  // True while new calls may start at `t`: inside the window and not interrupted.
  bool Running(absl::Time t) const {
    return t < window_.end() && !stopped_.load(std::memory_order_relaxed);
  }
  bool events_enabled() const { return config_.impression_rate > 0 || config_.click_rate > 0; }
  const std::string& run_id() const { return run_id_; }

  std::atomic<int64_t> auctions_in_flight{0};
  std::atomic<int64_t> events_in_flight{0};
  // All phases, for the progress line and CPU per call.
  std::atomic<int64_t> completed{0};
  std::atomic<int64_t> failed{0};
  std::atomic<int64_t> not_sent{0};

 private:
  absl::Status Validate() const;
  void Pace(const OpenLoopSchedule& schedule);
  void PrintProgress(absl::Time now, int64_t* last_completed, absl::Time* last_time);

  const LoadConfig config_;
  const RequestSampler& sampler_;
  const bool open_loop_;
  const std::string run_id_;
  RunWindow window_;
  gavel::v1::RunAuctionRequest echo_request_;
  std::atomic<int64_t> request_counter_{0};
  std::atomic<bool> stopped_{false};
  std::vector<std::unique_ptr<Worker>> workers_;
};

void Worker::StartAuction(std::unique_ptr<AuctionCall> call, absl::Time intended) {
  run_->auctions_in_flight.fetch_add(1, std::memory_order_relaxed);
  call->intended = intended;
  call->context.set_deadline(Deadline(run_->config().timeout));
  AuctionCall* raw = call.release();
  // Open loop, the pacer thread starts calls that this worker's thread completes. The call passes
  // between them through gRPC's completion queue, which ThreadSanitizer cannot see into (Debian's
  // gRPC is uninstrumented). Holding mu_ until Finish has registered the tag, with the worker
  // taking mu_ before it touches a completed call, makes the hand-off visible, for ~20 ns a call.
  MutexLock lock(&mu_);
  ++calls_in_flight_;
  raw->sent = MonoNow();
  AddClientKey(run_->config().client_key, &raw->context);
  raw->reader = auction_stub_->PrepareAsyncRunAuction(&raw->context, raw->request, &cq_);
  raw->reader->StartCall();
  raw->reader->Finish(&raw->response, &raw->status, raw);
}

void Worker::Loop(int initial_calls) {
  for (int i = 0; i < initial_calls; ++i) {
    auto call = std::make_unique<AuctionCall>();
    run_->FillRequest(gen_, index_, call.get());
    StartAuction(std::move(call), MonoNow());
  }
  void* tag = nullptr;
  bool ok = false;
  while (cq_.Next(&tag, &ok)) {
    const absl::Time done = MonoNow();
    {
      MutexLock lock(&mu_);  // The other side of the hand-off in StartAuction.
      --calls_in_flight_;
    }
    Call* call = static_cast<Call*>(tag);
    if (call->kind == Call::Kind::kAuction) {
      OnAuctionDone(std::unique_ptr<AuctionCall>(static_cast<AuctionCall*>(call)), done);
    } else {
      OnEventsDone(std::unique_ptr<EventsCall>(static_cast<EventsCall*>(call)), done);
    }
  }
}

void Worker::OnAuctionDone(std::unique_ptr<AuctionCall> call, absl::Time done) {
  run_->completed.fetch_add(1, std::memory_order_relaxed);
  if (!call->status.ok()) run_->failed.fetch_add(1, std::memory_order_relaxed);
  {
    MutexLock lock(&mu_);
    if (call->status.ok()) interval_.Record(absl::ToInt64Nanoseconds(done - call->intended));
    if (run_->window().Measured(call->intended)) {
      ++tally_.requests;
      if (call->status.ok()) {
        ++tally_.ok;
        tally_.latency.Record(absl::ToInt64Nanoseconds(done - call->intended));
        tally_.service_time.Record(absl::ToInt64Nanoseconds(done - call->sent));
        tally_.send_lag.Record(absl::ToInt64Nanoseconds(call->sent - call->intended));
      } else {
        ++tally_.errors[StatusCodeName(call->status.error_code())];
      }
    }
  }
  const bool running = run_->Running(done);
  if (running && call->status.ok() && run_->events_enabled()) MaybeReportEvents(*call);
  if (running && !run_->open_loop()) {
    auto next = std::make_unique<AuctionCall>();
    run_->FillRequest(gen_, index_, next.get());
    StartAuction(std::move(next), MonoNow());
  }
  // Last, so the in-flight count never reads zero while a follow-up call is being started.
  run_->auctions_in_flight.fetch_sub(1, std::memory_order_release);
}

void Worker::MaybeReportEvents(const AuctionCall& auction) {
  auto call = std::make_unique<EventsCall>();
  const int64_t now_micros = absl::ToUnixMicros(absl::Now());
  auto add = [&](gavel::v1::EventType type, const std::string& token) {
    gavel::v1::Event* event = call->request.add_events();
    event->set_client_event_id(
        absl::StrCat("lg-", run_->run_id(), "-", index_, "-", next_event_++));
    event->set_type(type);
    event->set_token(token);
    event->set_event_time_unix_micros(now_micros);
    event->set_user_id(auction.request.shopper().user_id());
  };
  for (const gavel::v1::Winner& winner : auction.response.winners()) {
    if (absl::Bernoulli(gen_, run_->config().impression_rate)) {
      add(gavel::v1::EVENT_TYPE_IMPRESSION, winner.impression_token());
      ++call->impressions;
    }
    if (absl::Bernoulli(gen_, run_->config().click_rate)) {
      add(gavel::v1::EVENT_TYPE_CLICK, winner.click_token());
      ++call->clicks;
    }
  }
  if (call->request.events_size() == 0) return;
  const bool measured = run_->window().Measured(auction.intended);
  if (run_->events_in_flight.load(std::memory_order_relaxed) >= run_->config().max_outstanding) {
    if (measured) {
      MutexLock lock(&mu_);
      tally_.events_not_sent += call->request.events_size();
    }
    return;
  }
  run_->events_in_flight.fetch_add(1, std::memory_order_relaxed);
  call->intended = auction.intended;
  call->context.set_deadline(Deadline(run_->config().timeout));
  EventsCall* raw = call.release();
  MutexLock lock(&mu_);  // As in StartAuction, though events start on the worker's own thread.
  ++calls_in_flight_;
  raw->sent = MonoNow();
  AddClientKey(run_->config().client_key, &raw->context);
  raw->reader = event_stub_->PrepareAsyncReportEvents(&raw->context, raw->request, &cq_);
  raw->reader->StartCall();
  raw->reader->Finish(&raw->response, &raw->status, raw);
}

void Worker::OnEventsDone(std::unique_ptr<EventsCall> call, absl::Time done) {
  if (run_->window().Measured(call->intended)) {
    MutexLock lock(&mu_);
    ++tally_.event_rpcs;
    tally_.impressions += call->impressions;
    tally_.clicks += call->clicks;
    if (call->status.ok()) {
      ++tally_.event_rpcs_ok;
      tally_.event_latency.Record(absl::ToInt64Nanoseconds(done - call->sent));
      for (const gavel::v1::EventResult& result : call->response.results()) {
        ++tally_.event_outcomes[gavel::v1::EventOutcome_Name(result.outcome())];
      }
    } else {
      ++tally_.event_rpc_errors[StatusCodeName(call->status.error_code())];
    }
  }
  run_->events_in_flight.fetch_sub(1, std::memory_order_release);
}

absl::Status LoadRun::Validate() const {
  const LoadConfig& c = config_;
  if (!open_loop_ && c.concurrency < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("concurrency must be >= 1, got ", c.concurrency));
  }
  if (c.rate < 0) {
    return absl::InvalidArgumentError(absl::StrCat("rate must be >= 0, got ", c.rate));
  }
  if (c.threads < 1) {
    return absl::InvalidArgumentError(absl::StrCat("threads must be >= 1, got ", c.threads));
  }
  if (c.max_outstanding < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_outstanding must be >= 1, got ", c.max_outstanding));
  }
  if (c.duration <= absl::ZeroDuration() || c.warmup < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("duration must be > 0 and warmup >= 0, got ",
                                                   absl::FormatDuration(c.duration), " and ",
                                                   absl::FormatDuration(c.warmup)));
  }
  if (c.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("timeout must be > 0, got ", absl::FormatDuration(c.timeout)));
  }
  for (const auto& [name, value] :
       {std::pair<const char*, double>{"impression_rate", c.impression_rate},
        {"click_rate", c.click_rate}}) {
    if (!(value >= 0 && value <= 1)) {
      return absl::InvalidArgumentError(absl::StrCat(name, " must be in [0, 1], got ", value));
    }
  }
  if (c.service != "auction" && c.service != "echo") {
    return absl::InvalidArgumentError(
        absl::StrCat("service must be \"auction\" or \"echo\", got \"", c.service, "\""));
  }
  return absl::OkStatus();
}

void LoadRun::Pace(const OpenLoopSchedule& schedule) {
  // Linux lets a sleeping thread wake up to 50 us late by default (timer slack), and every
  // microsecond the pacer is late is charged to the call's latency. 1 ns asks for punctual
  // wake-ups; what remains is scheduling delay, reported as send lag.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  std::mt19937_64 gen(config_.seed ^ 0x9e3779b97f4a7c15ULL);
  const int n = static_cast<int>(workers_.size());
  for (int64_t i = 0;; ++i) {
    const absl::Time intended = schedule.IntendedTime(i);
    if (intended >= window_.end()) break;
    const absl::Duration wait = intended - MonoNow();
    // Behind schedule, the pacer sends the overdue calls back to back: each still carries its
    // intended time, so the delay is charged to its latency rather than dropped.
    if (wait > absl::ZeroDuration()) absl::SleepFor(wait);
    if (stopped_.load(std::memory_order_relaxed)) break;
    Worker& worker = *workers_[i % n];
    if (auctions_in_flight.load(std::memory_order_relaxed) >= config_.max_outstanding) {
      not_sent.fetch_add(1, std::memory_order_relaxed);
      if (window_.Measured(intended)) worker.CountNotSent();
      continue;
    }
    auto call = std::make_unique<AuctionCall>();
    FillRequest(gen, static_cast<int>(i % n), call.get());
    worker.StartAuction(std::move(call), intended);
  }
}

void LoadRun::PrintProgress(absl::Time now, int64_t* last_completed, absl::Time* last_time) {
  Histogram interval;
  for (auto& worker : workers_) worker->TakeInterval(&interval);
  const int64_t done = completed.load(std::memory_order_relaxed);
  const double seconds = absl::ToDoubleSeconds(now - *last_time);
  std::fprintf(
      stderr,
      "[%6.1fs] %-7s %9.0f qps  p50 %8.1f us  p99 %8.1f us  errors %lld  in flight %lld  "
      "not sent %lld\n",
      absl::ToDoubleSeconds(now - window_.start),
      // The phase the interval began in: the first second of a 1s warmup is warmup.
      *last_time < window_.measure_start() ? "warmup" : "measure",
      seconds > 0 ? (done - *last_completed) / seconds : 0.0, interval.Percentile(50) / 1e3,
      interval.Percentile(99) / 1e3, static_cast<long long>(failed.load()),
      static_cast<long long>(auctions_in_flight.load()), static_cast<long long>(not_sent.load()));
  *last_completed = done;
  *last_time = now;
}

absl::StatusOr<LoadReport> LoadRun::Run() {
  if (absl::Status status = Validate(); !status.ok()) return status;
  const int threads = open_loop_ ? config_.threads : std::min(config_.threads, config_.concurrency);
  for (int w = 0; w < threads; ++w) {
    grpc::ChannelArguments args;
    // A subchannel (TCP connection) per worker, as separate client machines would have.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    absl::StatusOr<std::shared_ptr<grpc::Channel>> created =
        CreateClientChannel(config_.target, grpc::InsecureChannelCredentials(), args);
    if (!created.ok()) {
      return absl::Status(created.status().code(),
                          absl::StrCat("target: ", created.status().message()));
    }
    std::shared_ptr<grpc::Channel> channel = *std::move(created);
    // With several addresses (round robin), connected means at least one replica is.
    if (!channel->WaitForConnected(Deadline(absl::Seconds(10)))) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", config_.target, " within 10s"));
    }
    workers_.push_back(std::make_unique<Worker>(this, w, channel, config_.seed + 1'000'003 * w));
  }
  if (config_.service == "echo") {
    std::mt19937_64 gen(config_.seed);
    sampler_.Sample(gen, &echo_request_);
  }

  const double cpu_start = CpuSeconds();
  window_ = RunWindow{.start = MonoNow(), .warmup = config_.warmup, .duration = config_.duration};
  for (int w = 0; w < threads; ++w) {
    const int share =
        open_loop_ ? 0 : config_.concurrency / threads + (w < config_.concurrency % threads);
    workers_[w]->Start(share);
  }
  std::thread pacer;
  if (open_loop_) {
    absl::StatusOr<OpenLoopSchedule> schedule =
        OpenLoopSchedule::Create(config_.rate, window_.start);
    if (!schedule.ok()) return schedule.status();
    pacer = std::thread([this, s = *schedule] { Pace(s); });
  }

  int64_t last_completed = 0;
  absl::Time last_time = window_.start;
  absl::Time measure_end = window_.end();
  for (int tick = 1;; ++tick) {
    const absl::Time next = std::min(window_.start + absl::Seconds(tick), window_.end());
    bool interrupted = false;
    for (absl::Time now = MonoNow(); now < next; now = MonoNow()) {
      interrupted = config_.interrupt != nullptr && config_.interrupt->load();
      if (interrupted) break;
      absl::SleepFor(std::min(next - now, absl::Milliseconds(100)));
    }
    if (interrupted) {
      measure_end = MonoNow();
      stopped_.store(true);
    }
    if (config_.progress) PrintProgress(MonoNow(), &last_completed, &last_time);
    if (interrupted || next >= window_.end()) break;
  }
  if (pacer.joinable()) pacer.join();
  // Calls carry deadlines, so the drain ends within `timeout` even if the target stalls.
  while (auctions_in_flight.load(std::memory_order_acquire) > 0 ||
         events_in_flight.load(std::memory_order_acquire) > 0) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  for (auto& worker : workers_) worker->ShutdownAndJoin();

  Tally total;
  for (auto& worker : workers_) total.Merge(worker->TakeTally());
  LoadReport r;
  r.mode = open_loop_ ? "open" : "closed";
  r.service = config_.service;
  r.target = config_.target;
  r.concurrency = open_loop_ ? 0 : config_.concurrency;
  r.rate = config_.rate;
  r.warmup_seconds = absl::ToDoubleSeconds(config_.warmup);
  // Interrupted, the measured time is what ran of the window (0 when stopped during warmup).
  r.duration_seconds = absl::ToDoubleSeconds(
      std::clamp(measure_end - window_.measure_start(), absl::ZeroDuration(), config_.duration));
  r.requests = total.requests;
  r.ok = total.ok;
  r.errors = std::move(total.errors);
  r.not_sent = total.not_sent;
  r.qps = r.duration_seconds > 0 ? total.requests / r.duration_seconds : 0;
  r.latency = Summarize(total.latency);
  r.service_time = Summarize(total.service_time);
  r.send_lag = Summarize(total.send_lag);
  r.all_completed = completed.load();
  r.client_cpu_seconds = CpuSeconds() - cpu_start;
  r.event_rpcs = total.event_rpcs;
  r.event_rpcs_ok = total.event_rpcs_ok;
  r.event_rpc_errors = std::move(total.event_rpc_errors);
  r.impressions_sent = total.impressions;
  r.clicks_sent = total.clicks;
  r.events_not_sent = total.events_not_sent;
  r.event_outcomes = std::move(total.event_outcomes);
  r.event_latency = Summarize(total.event_latency);
  return r;
}

}  // namespace

absl::StatusOr<LoadReport> RunLoad(const LoadConfig& config, const RequestSampler& sampler) {
  LoadRun run(config, sampler);
  return run.Run();
}

}  // namespace gavel::loadgen
