#include "convert/catalog_convert.h"

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"

namespace gavel::convert {
namespace {

namespace t = ::gavel::targeting;
namespace cat = ::gavel::catalog;

absl::Status Invalid(const std::string& where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, what));
}

// Proto3 enums are open: a value outside the declared range is an error, not UB.
template <typename E>
absl::Status Enum(int value, int max, const std::string& where, E* out) {
  if (value < 0 || value > max)
    return Invalid(where, absl::StrCat(" is out of range, got ", value));
  *out = static_cast<E>(value);
  return absl::OkStatus();
}

absl::Status State(int value, const std::string& where, cat::EntityState* out) {
  if (auto st = Enum(value, 3, where + ".state", out); !st.ok()) return st;
  if (*out == cat::EntityState::kUnspecified) *out = cat::EntityState::kEnabled;
  return absl::OkStatus();
}

absl::Status Date(const std::string& text, const std::string& where,
                  std::optional<absl::CivilDay>* out) {
  if (text.empty()) return absl::OkStatus();
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day)) {
    return Invalid(where, absl::StrCat(" must be YYYY-MM-DD, got \"", text, "\""));
  }
  *out = day;
  return absl::OkStatus();
}

// The inverse of Date. Not absl::FormatCivilTime, which writes year 391 as "391-01-01": a date
// Date accepted ("0391-01-01") would come back in a form Date rejects, and a catalog state file
// holding it would no longer load.
std::string FormatDate(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

absl::Status Keywords(const google::protobuf::RepeatedPtrField<v1::NegativeKeyword>& in,
                      const std::string& where, std::vector<cat::Keyword>* out) {
  for (int i = 0; i < in.size(); ++i) {
    cat::Keyword k;
    k.text = in[i].text();
    if (auto st =
            Enum(in[i].match_type(), 3,
                 absl::StrCat(where, ".negative_keywords[", i, "].match_type"), &k.match_type);
        !st.ok()) {
      return st;
    }
    out->push_back(std::move(k));
  }
  return absl::OkStatus();
}

absl::Status FromPredicates(const v1::Predicates& p, const std::string& where,
                            cat::Predicates* out) {
  auto strings = [](const auto& in) { return std::vector<std::string>(in.begin(), in.end()); };
  out->include_segments = strings(p.include_segments());
  out->exclude_segments = strings(p.exclude_segments());
  out->include_countries = strings(p.include_countries());
  out->exclude_countries = strings(p.exclude_countries());
  out->include_regions = strings(p.include_regions());
  out->exclude_regions = strings(p.exclude_regions());
  out->include_hours.assign(p.include_hours().begin(), p.include_hours().end());
  for (int i = 0; i < p.include_devices_size(); ++i) {
    cat::Device d;
    if (auto st = Enum(p.include_devices(i), 4,
                       absl::StrCat(where, ".predicates.include_devices[", i, "]"), &d);
        !st.ok()) {
      return st;
    }
    out->include_devices.push_back(d);
  }
  for (int i = 0; i < p.exclude_devices_size(); ++i) {
    cat::Device d;
    if (auto st = Enum(p.exclude_devices(i), 4,
                       absl::StrCat(where, ".predicates.exclude_devices[", i, "]"), &d);
        !st.ok()) {
      return st;
    }
    out->exclude_devices.push_back(d);
  }
  return absl::OkStatus();
}

void ToNegativeKeywords(const std::vector<cat::Keyword>& in,
                        google::protobuf::RepeatedPtrField<v1::NegativeKeyword>* out) {
  for (const cat::Keyword& k : in) {
    v1::NegativeKeyword* n = out->Add();
    n->set_text(k.text);
    n->set_match_type(static_cast<v1::MatchType>(k.match_type));
  }
}

void ToPredicates(const cat::Predicates& p, v1::Predicates* out) {
  for (const auto& v : p.include_segments) out->add_include_segments(v);
  for (const auto& v : p.exclude_segments) out->add_exclude_segments(v);
  for (cat::Device d : p.include_devices) out->add_include_devices(static_cast<v1::Device>(d));
  for (cat::Device d : p.exclude_devices) out->add_exclude_devices(static_cast<v1::Device>(d));
  for (const auto& v : p.include_countries) out->add_include_countries(v);
  for (const auto& v : p.exclude_countries) out->add_exclude_countries(v);
  for (const auto& v : p.include_regions) out->add_include_regions(v);
  for (const auto& v : p.exclude_regions) out->add_exclude_regions(v);
  for (int h : p.include_hours) out->add_include_hours(h);
}

absl::Status AdvertiserFromProto(const v1::Advertiser& a, cat::Advertiser* out) {
  *out = {.id = a.id(), .name = a.name()};
  return State(a.state(), absl::StrCat("advertisers[", a.id(), "]"), &out->state);
}

// Percent per placement; each placement specified and listed once, percent in [0, 900].
absl::Status PlacementMultipliers(
    const google::protobuf::RepeatedPtrField<v1::PlacementMultiplier>& in, const std::string& where,
    std::array<int32_t, cat::kNumPlacements>* out) {
  std::array<bool, cat::kNumPlacements> seen{};
  for (int i = 0; i < in.size(); ++i) {
    const v1::PlacementMultiplier& m = in[i];
    const std::string w = absl::StrCat(where, ".placement_multipliers[", i, "]");
    const int placement = m.placement();
    if (placement < 1 || placement >= cat::kNumPlacements) {
      return Invalid(w, absl::StrCat(".placement must be a specified placement, got ", placement));
    }
    if (seen[placement])
      return Invalid(w, absl::StrCat(".placement ", placement, " is listed twice"));
    seen[placement] = true;
    if (m.percent() < 0 || m.percent() > 900) {
      return Invalid(w, absl::StrCat(".percent must be in [0, 900], got ", m.percent()));
    }
    (*out)[placement] = m.percent();
  }
  return absl::OkStatus();
}

// Unset budget policy, bidding strategy, time zone and pacing take their defaults (HARD, FIXED,
// UTC, true).
absl::Status CampaignFromProto(const v1::Campaign& p, cat::Campaign* out) {
  const std::string where = absl::StrCat("campaigns[", p.id(), "]");
  out->id = p.id();
  out->advertiser_id = p.advertiser_id();
  out->name = p.name();
  out->daily_budget_micros = p.daily_budget_micros();
  out->default_bid_micros = p.default_bid_micros();
  out->max_bid_micros = p.max_bid_micros();
  out->pacing = p.has_pacing() ? p.pacing() : true;
  if (auto st = State(p.state(), where, &out->state); !st.ok()) return st;
  if (auto st = Enum(p.budget_policy(), 3, where + ".budget_policy", &out->budget_policy);
      !st.ok()) {
    return st;
  }
  if (out->budget_policy == cat::BudgetPolicy::kUnspecified)
    out->budget_policy = cat::BudgetPolicy::kHard;
  if (auto st = Enum(p.bidding_strategy(), 3, where + ".bidding_strategy", &out->bidding_strategy);
      !st.ok()) {
    return st;
  }
  if (out->bidding_strategy == cat::BiddingStrategy::kUnspecified) {
    out->bidding_strategy = cat::BiddingStrategy::kFixed;
  }
  if (auto st = Date(p.start_date(), where + ".start_date", &out->start_date); !st.ok()) return st;
  if (auto st = Date(p.end_date(), where + ".end_date", &out->end_date); !st.ok()) return st;
  if (!p.time_zone().empty() && !absl::LoadTimeZone(p.time_zone(), &out->time_zone)) {
    return Invalid(where, absl::StrCat(".time_zone: unknown time zone \"", p.time_zone(), "\""));
  }
  if (auto st = PlacementMultipliers(p.placement_multipliers(), where,
                                     &out->placement_multiplier_percent);
      !st.ok()) {
    return st;
  }
  if (auto st = Keywords(p.negative_keywords(), where, &out->negative_keywords); !st.ok())
    return st;
  return FromPredicates(p.predicates(), where, &out->predicates);
}

absl::Status AdGroupFromProto(const v1::AdGroup& p, cat::AdGroup* out) {
  const std::string where = absl::StrCat("ad_groups[", p.id(), "]");
  out->id = p.id();
  out->campaign_id = p.campaign_id();
  out->name = p.name();
  out->default_bid_micros = p.default_bid_micros();
  if (auto st = State(p.state(), where, &out->state); !st.ok()) return st;
  if (auto st = Keywords(p.negative_keywords(), where, &out->negative_keywords); !st.ok())
    return st;
  if (auto st = FromPredicates(p.predicates(), where, &out->predicates); !st.ok()) return st;
  for (int i = 0; i < p.auto_targeting_size(); ++i) {
    const v1::AutoTargetSetting& a = p.auto_targeting(i);
    cat::AutoTargetSetting s{.enabled = a.enabled(), .bid_micros = a.bid_micros()};
    if (auto st =
            Enum(a.group(), 4, absl::StrCat(where, ".auto_targeting[", i, "].group"), &s.group);
        !st.ok()) {
      return st;
    }
    out->auto_targeting.push_back(s);
  }
  return absl::OkStatus();
}

absl::Status ProductAdFromProto(const v1::ProductAd& p, cat::ProductAd* out) {
  *out = {.id = p.id(), .ad_group_id = p.ad_group_id(), .product_id = p.product_id()};
  return State(p.state(), absl::StrCat("product_ads[", p.id(), "]"), &out->state);
}

// Exactly one kind (keyword, product or category) must be set.
absl::Status TargetFromProto(const v1::Target& p, cat::Target* out) {
  const std::string where = absl::StrCat("targets[", p.id(), "]");
  out->id = p.id();
  out->ad_group_id = p.ad_group_id();
  out->bid_micros = p.bid_micros();
  if (auto st = State(p.state(), where, &out->state); !st.ok()) return st;
  switch (p.kind_case()) {
    case v1::Target::kKeyword:
      out->kind = cat::TargetKind::kKeyword;
      out->keyword.text = p.keyword().text();
      return Enum(p.keyword().match_type(), 3, where + ".keyword.match_type",
                  &out->keyword.match_type);
    case v1::Target::kProductId:
      out->kind = cat::TargetKind::kProduct;
      out->product_id = p.product_id();
      return absl::OkStatus();
    case v1::Target::kCategoryId:
      out->kind = cat::TargetKind::kCategory;
      out->category_id = p.category_id();
      return absl::OkStatus();
    default:
      return Invalid(where, " must set one of keyword, product_id or category_id");
  }
}

cat::Product ProductFromProto(const v1::Product& p) {
  return {.id = p.id(),
          .title = p.title(),
          .category_id = p.category_id(),
          .brand = p.brand(),
          .price_micros = p.price_micros()};
}

cat::Category CategoryFromProto(const v1::Category& p) {
  return {.id = p.id(),
          .name = p.name(),
          .parent_id = p.parent_id(),
          .complement_category_ids = {p.complement_category_ids().begin(),
                                      p.complement_category_ids().end()}};
}

// Converts every entity of one kind, in order, with `convert`; stops at the first error.
template <typename Proto, typename Model>
absl::Status ConvertAll(const google::protobuf::RepeatedPtrField<Proto>& in,
                        absl::Status (*convert)(const Proto&, Model*), std::vector<Model>* out) {
  out->reserve(out->size() + in.size());  // exact: the snapshot keeps these vectors as they are
  for (const Proto& p : in) {
    if (auto st = convert(p, &out->emplace_back()); !st.ok()) return st;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<cat::Catalog> CatalogModelFromProto(const v1::Catalog& proto) {
  cat::Catalog c;
  absl::Status st = ConvertAll(proto.advertisers(), AdvertiserFromProto, &c.advertisers);
  if (st.ok()) st = ConvertAll(proto.campaigns(), CampaignFromProto, &c.campaigns);
  if (st.ok()) st = ConvertAll(proto.ad_groups(), AdGroupFromProto, &c.ad_groups);
  if (st.ok()) st = ConvertAll(proto.product_ads(), ProductAdFromProto, &c.product_ads);
  if (st.ok()) st = ConvertAll(proto.targets(), TargetFromProto, &c.targets);
  if (!st.ok()) return st;
  c.products.reserve(proto.products_size());
  for (const v1::Product& p : proto.products()) c.products.push_back(ProductFromProto(p));
  c.categories.reserve(proto.categories_size());
  for (const v1::Category& p : proto.categories()) c.categories.push_back(CategoryFromProto(p));
  if (proto.auction_rules().has_min_relevance()) {
    c.rules.min_relevance = proto.auction_rules().min_relevance();
  }
  c.language = proto.language();
  c.synonyms.reserve(proto.synonyms_size());
  for (const v1::Synonym& p : proto.synonyms()) {
    c.synonyms.push_back({p.term(), {p.synonyms().begin(), p.synonyms().end()}, p.two_way()});
  }
  return c;
}

absl::StatusOr<std::shared_ptr<const t::CatalogSnapshot>> CatalogFromProto(
    const v1::Catalog& proto, int64_t version, std::shared_ptr<const t::CtrModel> model) {
  absl::StatusOr<cat::Catalog> c = CatalogModelFromProto(proto);
  if (!c.ok()) return c.status();
  return t::CatalogSnapshot::Build(*std::move(c), version, std::move(model));
}

v1::Catalog CatalogModelToProto(const cat::Catalog& c) {
  v1::Catalog out;
  auto state = [](cat::EntityState s) {
    return static_cast<v1::EntityState>(
        s == cat::EntityState::kUnspecified ? cat::EntityState::kEnabled : s);
  };
  for (const cat::Advertiser& a : c.advertisers) {
    v1::Advertiser* p = out.add_advertisers();
    p->set_id(a.id);
    p->set_name(a.name);
    p->set_state(state(a.state));
  }
  for (const cat::Campaign& a : c.campaigns) {
    v1::Campaign* p = out.add_campaigns();
    p->set_id(a.id);
    p->set_advertiser_id(a.advertiser_id);
    p->set_name(a.name);
    p->set_state(state(a.state));
    p->set_daily_budget_micros(a.daily_budget_micros);
    p->set_budget_policy(static_cast<v1::BudgetPolicy>(a.budget_policy));
    if (a.start_date) p->set_start_date(FormatDate(*a.start_date));
    if (a.end_date) p->set_end_date(FormatDate(*a.end_date));
    p->set_time_zone(a.time_zone.name());
    p->set_bidding_strategy(static_cast<v1::BiddingStrategy>(a.bidding_strategy));
    for (int i = 1; i < cat::kNumPlacements; ++i) {
      if (a.placement_multiplier_percent[i] == 0) continue;
      v1::PlacementMultiplier* m = p->add_placement_multipliers();
      m->set_placement(static_cast<v1::Placement>(i));
      m->set_percent(a.placement_multiplier_percent[i]);
    }
    p->set_default_bid_micros(a.default_bid_micros);
    p->set_max_bid_micros(a.max_bid_micros);
    ToNegativeKeywords(a.negative_keywords, p->mutable_negative_keywords());
    ToPredicates(a.predicates, p->mutable_predicates());
    p->set_pacing(a.pacing);
  }
  for (const cat::AdGroup& a : c.ad_groups) {
    v1::AdGroup* p = out.add_ad_groups();
    p->set_id(a.id);
    p->set_campaign_id(a.campaign_id);
    p->set_name(a.name);
    p->set_state(state(a.state));
    p->set_default_bid_micros(a.default_bid_micros);
    ToNegativeKeywords(a.negative_keywords, p->mutable_negative_keywords());
    ToPredicates(a.predicates, p->mutable_predicates());
    for (const cat::AutoTargetSetting& s : a.auto_targeting) {
      v1::AutoTargetSetting* x = p->add_auto_targeting();
      x->set_group(static_cast<v1::AutoTargetGroup>(s.group));
      x->set_enabled(s.enabled);
      x->set_bid_micros(s.bid_micros);
    }
  }
  for (const cat::ProductAd& a : c.product_ads) {
    v1::ProductAd* p = out.add_product_ads();
    p->set_id(a.id);
    p->set_ad_group_id(a.ad_group_id);
    p->set_product_id(a.product_id);
    p->set_state(state(a.state));
  }
  for (const cat::Target& a : c.targets) {
    v1::Target* p = out.add_targets();
    p->set_id(a.id);
    p->set_ad_group_id(a.ad_group_id);
    p->set_state(state(a.state));
    p->set_bid_micros(a.bid_micros);
    switch (a.kind) {
      case cat::TargetKind::kKeyword:
        p->mutable_keyword()->set_text(a.keyword.text);
        p->mutable_keyword()->set_match_type(static_cast<v1::MatchType>(a.keyword.match_type));
        break;
      case cat::TargetKind::kProduct:
        p->set_product_id(a.product_id);
        break;
      case cat::TargetKind::kCategory:
        p->set_category_id(a.category_id);
        break;
    }
  }
  for (const cat::Product& a : c.products) {
    v1::Product* p = out.add_products();
    p->set_id(a.id);
    p->set_title(a.title);
    p->set_category_id(a.category_id);
    p->set_price_micros(a.price_micros);
    p->set_brand(a.brand);
  }
  for (const cat::Category& a : c.categories) {
    v1::Category* p = out.add_categories();
    p->set_id(a.id);
    p->set_name(a.name);
    p->set_parent_id(a.parent_id);
    for (const auto& id : a.complement_category_ids) p->add_complement_category_ids(id);
  }
  out.mutable_auction_rules()->set_min_relevance(c.rules.min_relevance);
  out.set_language(c.language);
  for (const cat::Synonym& a : c.synonyms) {
    v1::Synonym* p = out.add_synonyms();
    p->set_term(a.term);
    for (const auto& w : a.synonyms) p->add_synonyms(w);
    p->set_two_way(a.two_way);
  }
  return out;
}

v1::Catalog CatalogToProto(const t::CatalogSnapshot& snapshot) {
  return CatalogModelToProto(snapshot.catalog());
}

}  // namespace gavel::convert
