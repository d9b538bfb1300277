-- Gavel schema, version 1: the money store that replicas share (docs/billing.md, "PostgreSQL
-- store"). Every replica decides events with the same rules as the embedded store
-- (billing/rules.h) from the rows below, read under row locks in one transaction per batch.
--
-- Units: times are unix microseconds of the deciding replica's clock (bigint); days are a
-- campaign's local days since 1970-01-01 (billing/budget.h DayIndex); money is int64 micros;
-- user_hash is the token's 64-bit shopper hash stored as bigint (same bits).
--
-- Citus: the campaign tables (campaign_spend, campaign_stats, budget_locks, events) distribute
-- by campaign_id; the dedupe tables by their own key (event_ids by client_event_id, used_tokens
-- by token_id, shopper_clicks and repeat_clicks by user_hash). No statement joins across them.

-- Client event ids within their retention: a second event with a live id is DUPLICATE.
CREATE TABLE event_ids (
  client_event_id text PRIMARY KEY,
  expires_at bigint NOT NULL
);
-- Deadlines grow roughly with insertion order, so a BRIN index (a few pages, nearly free to keep)
-- lets the periodic delete of expired rows read only the old end of the table.
CREATE INDEX event_ids_expiry ON event_ids USING brin (expires_at);

-- Tokens consumed by an event, until the token expires: a second use is DUPLICATE.
CREATE TABLE used_tokens (
  token_id bytea PRIMARY KEY,
  expires_at bigint NOT NULL
);
CREATE INDEX used_tokens_expiry ON used_tokens USING brin (expires_at);

-- Per shopper, the click times counted for the rate limit (oldest first, at most
-- max_clicks_per_window + 1). The row is also the shopper's lock: a batch with clicks by a
-- shopper holds it until commit, so the per-shopper rules see every replica's clicks.
CREATE TABLE shopper_clicks (
  user_hash bigint PRIMARY KEY,
  click_times bigint[] NOT NULL
);

-- A shopper's charged click on an ad, until the repeat-click window ends.
CREATE TABLE repeat_clicks (
  user_hash bigint NOT NULL,
  ad_id text NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY (user_hash, ad_id)
);
CREATE INDEX repeat_clicks_expiry ON repeat_clicks USING brin (expires_at);

-- One row per campaign that has been charged: locked while a batch decides its clicks, so the
-- budget check and the spend increment are one step across replicas.
CREATE TABLE budget_locks (
  campaign_id text PRIMARY KEY
);

-- Spend per campaign and local day.
CREATE TABLE campaign_spend (
  campaign_id text NOT NULL,
  day integer NOT NULL,
  spend_micros bigint NOT NULL CHECK (spend_micros >= 0),
  PRIMARY KEY (campaign_id, day)
);

-- GetStats' counters per campaign and local day (docs/billing.md, "Statistics").
CREATE TABLE campaign_stats (
  campaign_id text NOT NULL,
  day integer NOT NULL,
  impressions bigint NOT NULL DEFAULT 0,
  clicks bigint NOT NULL DEFAULT 0,
  invalid_clicks bigint NOT NULL DEFAULT 0,
  budget_exhausted_clicks bigint NOT NULL DEFAULT 0,
  spend_micros bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (campaign_id, day)
);

-- The ledger: every decided event and its outcome (the embedded ledger's records, as rows).
-- Kept forever; a DUPLICATE by client_event_id is not recorded (as in the embedded ledger).
CREATE TABLE events (
  campaign_id text NOT NULL,             -- '' when the token did not verify
  client_event_id text NOT NULL,
  event_type smallint NOT NULL,          -- 1 impression, 2 click (gavel.v1.EventType)
  outcome smallint NOT NULL,             -- gavel.v1.EventOutcome
  reason smallint NOT NULL,              -- gavel.v1.InvalidReason
  decided_at bigint NOT NULL,
  day integer NOT NULL,
  ad_id text NOT NULL,
  user_hash bigint NOT NULL,
  price_micros bigint NOT NULL,
  charged_micros bigint NOT NULL CHECK (charged_micros >= 0),
  token_id bytea,                        -- set when this event consumed the token
  token_expires_at bigint
);
CREATE INDEX events_by_campaign_day ON events (campaign_id, day);
-- A token is charged at most once, whatever replica decided it (outcome 1 = CHARGED).
CREATE UNIQUE INDEX events_charged_once ON events (campaign_id, token_id) WHERE outcome = 1;
