// Prints every record of a billing ledger directory, one line each, then a summary line:
//   ledger_tool /var/lib/gavel/ledger
// Output: "lsn=N <fields>" per record and "records=N charged=N charged_micros=N" at the end.
// Exit status 1 if the directory cannot be read or a record does not decode.
#include <cstdio>

#include "billing/ledger.h"
#include "billing/records.h"
#include "billing/sales.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s LEDGER_DIR\n", argv[0]);
    return 2;
  }
  auto records = gavel::billing::Ledger::ReadAll(argv[1]);
  if (!records.ok()) {
    std::fprintf(stderr, "%s\n", records.status().ToString().c_str());
    return 1;
  }
  int64_t charged = 0, charged_micros = 0;
  for (const auto& rec : *records) {
    if (gavel::billing::IsPurchaseRecord(rec.payload)) {
      auto line = gavel::billing::DecodePurchaseRecord(rec.payload);
      if (!line.ok()) {
        std::fprintf(stderr, "lsn=%llu: %s\n", static_cast<unsigned long long>(rec.lsn),
                     line.status().ToString().c_str());
        return 1;
      }
      std::printf("lsn=%llu %s\n", static_cast<unsigned long long>(rec.lsn),
                  gavel::billing::FormatPurchaseRecord(*line).c_str());
      continue;
    }
    auto r = gavel::billing::DecodeEventRecord(rec.payload);
    if (!r.ok()) {
      std::fprintf(stderr, "lsn=%llu: %s\n", static_cast<unsigned long long>(rec.lsn),
                   r.status().ToString().c_str());
      return 1;
    }
    if (r->outcome == gavel::billing::Outcome::kCharged) {
      ++charged;
      charged_micros += r->charged_micros;
    }
    std::printf("lsn=%llu %s\n", static_cast<unsigned long long>(rec.lsn),
                gavel::billing::FormatEventRecord(*r).c_str());
  }
  std::printf("records=%zu charged=%lld charged_micros=%lld\n", records->size(),
              static_cast<long long>(charged), static_cast<long long>(charged_micros));
  return 0;
}
