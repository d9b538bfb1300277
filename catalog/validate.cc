#include "catalog/validate.h"

#include "absl/strings/str_cat.h"
#include "catalog/limits.h"

namespace gavel::catalog {
namespace {

absl::Status Invalid(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, what));
}

bool ValidState(EntityState s) { return static_cast<int>(s) >= 0 && static_cast<int>(s) <= 3; }

absl::Status State(EntityState s, absl::string_view where) {
  return ValidState(s) ? absl::OkStatus() : Invalid(where, ".state is out of range");
}

absl::Status Devices(const std::vector<Device>& devices, absl::string_view where,
                     absl::string_view field) {
  for (size_t k = 0; k < devices.size(); ++k) {
    const int d = static_cast<int>(devices[k]);
    if (d < 1 || d > 4) {
      return Invalid(where, absl::StrCat(".predicates.", field, "[", k,
                                         "] must be a specified device, got ", d));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePredicates(const Predicates& p, absl::string_view where) {
  if (auto st = Devices(p.include_devices, where, "include_devices"); !st.ok()) return st;
  if (auto st = Devices(p.exclude_devices, where, "exclude_devices"); !st.ok()) return st;
  for (size_t k = 0; k < p.include_hours.size(); ++k) {
    const int h = p.include_hours[k];
    if (h < 0 || h > 23) {
      return Invalid(
          where, absl::StrCat(".predicates.include_hours[", k, "] must be in [0, 23], got ", h));
    }
  }
  return absl::OkStatus();
}

// Negative keywords match like exact or phrase keywords only (docs/targeting.md).
absl::Status NegativeMatchTypes(const std::vector<Keyword>& list, absl::string_view where) {
  for (size_t k = 0; k < list.size(); ++k) {
    const MatchType mt = list[k].match_type;
    if (mt != MatchType::kExact && mt != MatchType::kPhrase) {
      return Invalid(
          absl::StrCat(where, ".negative_keywords[", k, "]"),
          absl::StrCat(".match_type must be EXACT or PHRASE, got ", static_cast<int>(mt)));
    }
  }
  return absl::OkStatus();
}

absl::Status AutoTargeting(const AdGroup& g, absl::string_view where) {
  uint32_t seen = 0;
  for (size_t k = 0; k < g.auto_targeting.size(); ++k) {
    const AutoTargetSetting& a = g.auto_targeting[k];
    const std::string w = absl::StrCat(where, ".auto_targeting[", k, "]");
    const int group = static_cast<int>(a.group);
    if (group < 1 || group >= kNumAutoTargetGroups) {
      return Invalid(w, absl::StrCat(".group must be a specified group, got ", group));
    }
    if (seen & (1u << group)) return Invalid(w, absl::StrCat(".group ", group, " is listed twice"));
    seen |= 1u << group;
    if (auto st = ValidateBid(a.bid_micros, w, "bid_micros"); !st.ok()) return st;
  }
  return absl::OkStatus();
}

}  // namespace

bool ValidId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

absl::Status ValidateId(absl::string_view list_name, size_t index, absl::string_view id) {
  if (ValidId(id)) return absl::OkStatus();
  return Invalid(
      absl::StrCat(list_name, "[", index, "].id"),
      absl::StrCat(" must be 1-", kMaxIdBytes, " bytes of [A-Za-z0-9._:-], got \"", id, "\""));
}

absl::Status ValidateBid(int64_t bid_micros, absl::string_view where, absl::string_view field) {
  if (bid_micros < 0 || bid_micros > kMaxBidMicros) {
    return Invalid(
        where, absl::StrCat(".", field, " must be in [0, ", kMaxBidMicros, "], got ", bid_micros));
  }
  return absl::OkStatus();
}

absl::Status ValidateAdvertiser(const Advertiser& a) {
  return State(a.state, absl::StrCat("advertisers[", a.id, "]"));
}

absl::Status ValidateCampaign(const Campaign& c) {
  const std::string where = absl::StrCat("campaigns[", c.id, "]");
  if (auto st = State(c.state, where); !st.ok()) return st;
  if (c.daily_budget_micros <= 0) {
    return Invalid(where,
                   absl::StrCat(".daily_budget_micros must be > 0, got ", c.daily_budget_micros));
  }
  const int policy = static_cast<int>(c.budget_policy);
  if (policy < 0 || policy > 3) {
    return Invalid(where, absl::StrCat(".budget_policy is out of range, got ", policy));
  }
  const int strategy = static_cast<int>(c.bidding_strategy);
  if (strategy < 0 || strategy > 3) {
    return Invalid(where, absl::StrCat(".bidding_strategy is out of range, got ", strategy));
  }
  if (c.start_date && c.end_date && *c.end_date < *c.start_date) {
    return Invalid(where, absl::StrCat(".end_date must not be before start_date ",
                                       absl::FormatCivilTime(*c.start_date), ", got ",
                                       absl::FormatCivilTime(*c.end_date)));
  }
  for (int p = 0; p < kNumPlacements; ++p) {
    const int32_t pct = c.placement_multiplier_percent[p];
    if (pct < 0 || pct > 900) {
      return Invalid(where, absl::StrCat(".placement_multipliers[", p,
                                         "].percent must be in [0, 900], got ", pct));
    }
  }
  if (auto st = ValidateBid(c.default_bid_micros, where, "default_bid_micros"); !st.ok()) return st;
  if (auto st = ValidateBid(c.max_bid_micros, where, "max_bid_micros"); !st.ok()) return st;
  if (auto st = NegativeMatchTypes(c.negative_keywords, where); !st.ok()) return st;
  return ValidatePredicates(c.predicates, where);
}

absl::Status ValidateAdGroup(const AdGroup& g) {
  const std::string where = absl::StrCat("ad_groups[", g.id, "]");
  if (auto st = State(g.state, where); !st.ok()) return st;
  if (auto st = ValidateBid(g.default_bid_micros, where, "default_bid_micros"); !st.ok()) return st;
  if (auto st = NegativeMatchTypes(g.negative_keywords, where); !st.ok()) return st;
  if (auto st = ValidatePredicates(g.predicates, where); !st.ok()) return st;
  return AutoTargeting(g, where);
}

absl::Status ValidateProductAd(const ProductAd& a) {
  return State(a.state, absl::StrCat("product_ads[", a.id, "]"));
}

absl::Status ValidateTarget(const Target& t) {
  const std::string where = absl::StrCat("targets[", t.id, "]");
  if (auto st = State(t.state, where); !st.ok()) return st;
  if (auto st = ValidateBid(t.bid_micros, where, "bid_micros"); !st.ok()) return st;
  switch (t.kind) {
    case TargetKind::kKeyword: {
      const MatchType mt = t.keyword.match_type;
      if (mt != MatchType::kExact && mt != MatchType::kPhrase && mt != MatchType::kBroad) {
        return Invalid(where,
                       absl::StrCat(".keyword.match_type must be EXACT, PHRASE or BROAD, got ",
                                    static_cast<int>(mt)));
      }
      return absl::OkStatus();
    }
    case TargetKind::kProduct:
    case TargetKind::kCategory:
      return absl::OkStatus();
  }
  return Invalid(where, ".kind is out of range");
}

absl::Status ValidateProduct(const Product& p) {
  if (p.price_micros <= 0) {
    return Invalid(absl::StrCat("products[", p.id, "]"),
                   absl::StrCat(".price_micros must be > 0, got ", p.price_micros));
  }
  return absl::OkStatus();
}

absl::Status ValidateServingRules(const ServingRules& rules) {
  if (!(rules.min_relevance >= 0 && rules.min_relevance <= 1)) {
    return Invalid("rules.min_relevance",
                   absl::StrCat(" must be in [0, 1], got ", rules.min_relevance));
  }
  if (rules.max_candidates < 1) {
    return Invalid("rules.max_candidates",
                   absl::StrCat(" must be >= 1, got ", rules.max_candidates));
  }
  return absl::OkStatus();
}

}  // namespace gavel::catalog
