// The billing ledger's decoders on arbitrary bytes: what a crash, a bad disk or an operator's
// copy can leave in a ledger directory. The first byte picks the case:
//   0: one record payload (billing/records.h DecodeEventRecord, or billing/sales.h
//      DecodePurchaseRecord for a purchase record); what decodes must re-encode to bytes that
//      decode to the same encoding;
//   1: the bytes as a log segment (wal-1.log), recovered by Ledger::Open; recovery must either
//      fail or keep exactly the records Ledger::ReadAll reads back;
//   2: the bytes as the state of a snapshot file with a valid header and checksum, opened by
//      Billing (LedgerEventStore restores it);
//   3: the bytes cut into records framed with valid lengths and checksums, replayed by Billing, so
//      that the record decoder and the replay of what it accepts see arbitrary payloads.
// Billing must open or fail with a status in cases 2 and 3, never crash.
#include <unistd.h>
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "billing/billing.h"
#include "billing/bytes.h"
#include "billing/ledger.h"
#include "billing/records.h"
#include "billing/sales.h"
#include "common/clock.h"
#include "fuzz/fuzz_input.h"

namespace {

namespace billing = gavel::billing;
using billing::internal::PutFixed32;
using billing::internal::PutFixed64;

// On tmpfs when there is one: every case writes and fsyncs a fresh directory, which on a disk
// costs milliseconds and would leave the fuzzer a few hundred executions a second.
const std::string& Dir() {
  static const std::string* dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm"
                       : tmp != nullptr                          ? tmp
                                                                 : "/tmp";
    auto* d = new std::string(absl::StrCat(base, "/gavel_ledger_fuzzer_", getpid()));
    std::atexit([] { std::filesystem::remove_all(Dir()); });
    return d;
  }();
  return *dir;
}

void Fresh() {
  std::filesystem::remove_all(Dir());
  std::filesystem::create_directories(Dir());
}

void WriteFile(const std::string& name, absl::string_view bytes) {
  std::ofstream(Dir() + "/" + name, std::ios::binary).write(bytes.data(), bytes.size());
}

uint32_t Crc(absl::string_view a, absl::string_view b) {
  uLong c = crc32(0L, Z_NULL, 0);
  c = crc32(c, reinterpret_cast<const Bytef*>(a.data()), static_cast<uInt>(a.size()));
  c = crc32(c, reinterpret_cast<const Bytef*>(b.data()), static_cast<uInt>(b.size()));
  return static_cast<uint32_t>(c);
}

// docs/billing.md's segment layout: magic, then per record u32 length, u32 crc, u64 lsn, payload.
std::string Segment(const std::vector<std::string>& payloads) {
  std::string out = "GAVELWAL";
  uint64_t lsn = 0;
  for (const std::string& p : payloads) {
    std::string body;
    PutFixed64(&body, ++lsn);
    body += p;
    std::string len;
    PutFixed32(&len, static_cast<uint32_t>(body.size()));
    out += len;
    PutFixed32(&out, Crc(len, body));
    out += body;
  }
  return out;
}

// The snapshot layout: magic, u64 lsn, u64 state length, u32 crc of those 16 bytes and the state.
std::string Snapshot(absl::string_view state) {
  std::string body;
  PutFixed64(&body, 0);
  PutFixed64(&body, state.size());
  std::string out = "GAVELSNP" + body;
  PutFixed32(&out, Crc(body, state));
  out.append(state.data(), state.size());
  return out;
}

void OpenBilling() {
  static gavel::SimulatedClock* clock = new gavel::SimulatedClock(absl::FromUnixSeconds(1'780'000'000));
  billing::BillingConfig config;
  config.keyring = billing::Keyring::InsecureDevDefault();
  config.ledger.dir = Dir();
  config.ledger.snapshot_every_records = 0;
  config.ledger.fatal_handler = [](const absl::Status& s) {
    std::fprintf(stderr, "ledger failed: %s\n", s.ToString().c_str());
    std::abort();
  };
  auto b = billing::Billing::Open(std::move(config), clock);
  if (b.ok()) (*b)->Snapshot().IgnoreError();  // serialises whatever replay rebuilt
}

void Reencode(absl::string_view payload) {
  if (billing::IsPurchaseRecord(payload)) {
    auto line = billing::DecodePurchaseRecord(payload);
    if (!line.ok()) return;
    const std::string once = billing::EncodePurchaseRecord(*line);
    auto back = billing::DecodePurchaseRecord(once);
    if (!back.ok() || billing::EncodePurchaseRecord(*back) != once) std::abort();
    return;
  }
  auto r = billing::DecodeEventRecord(payload);
  if (!r.ok()) return;
  const std::string once = billing::EncodeEventRecord(*r);
  auto back = billing::DecodeEventRecord(once);
  if (!back.ok() || billing::EncodeEventRecord(*back) != once) std::abort();
}

void RecoverSegment(absl::string_view bytes) {
  Fresh();
  WriteFile("wal-00000000000000000001.log", bytes);
  std::vector<billing::LedgerRecord> replayed;
  {
    auto ledger = billing::Ledger::Open(
        {.dir = Dir(), .fatal_handler = [](const absl::Status&) { std::abort(); }}, 0,
        [&](const billing::LedgerRecord& r) { replayed.push_back(r); });
    if (!ledger.ok()) return;
  }
  auto read = billing::Ledger::ReadAll(Dir());
  if (!read.ok() || read->size() != replayed.size()) std::abort();
  for (size_t i = 0; i < replayed.size(); ++i) {
    if ((*read)[i].lsn != replayed[i].lsn || (*read)[i].payload != replayed[i].payload) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gavel::fuzz::Input in(data, size);
  switch (in.Byte() % 4) {
    case 0:
      Reencode(in.Rest());
      break;
    case 1:
      RecoverSegment(in.Rest());
      break;
    case 2:
      Fresh();
      WriteFile("snap-00000000000000000000.snap", Snapshot(in.Rest()));
      OpenBilling();
      break;
    case 3: {
      std::vector<std::string> payloads;
      while (true) {
        std::string p = in.String();
        if (p.empty()) break;
        payloads.push_back(std::move(p));
      }
      Fresh();
      WriteFile("wal-00000000000000000001.log", Segment(payloads));
      OpenBilling();
      break;
    }
  }
  return 0;
}
