-- Gavel schema, version 3: purchases and what click attribution reads (docs/billing.md, "Sales").
--
-- The events table gains the token's ad group, product and advertiser (empty for rows written
-- before this version, which attribution then treats as clicks on no product), and an index of
-- the charged clicks of known shoppers (event_type 2 = click, outcome 1 = CHARGED) by shopper
-- and time, the rows a report reads to see which click a purchase goes to.
ALTER TABLE events
  ADD COLUMN ad_group_id text NOT NULL DEFAULT '',
  ADD COLUMN product_id text NOT NULL DEFAULT '',
  ADD COLUMN advertiser_id text NOT NULL DEFAULT '';
CREATE INDEX events_shopper_clicks ON events (user_hash, decided_at)
  WHERE event_type = 2 AND outcome = 1 AND user_hash <> 0;

-- Purchase lines, each once: (order_id, line) is the idempotency key, and a line seen again is
-- DUPLICATE whatever it says. A refund or cancellation is a line with a negative quantity.
-- Citus: distributes by order_id (its key); reports read it by shopper through the index.
CREATE TABLE purchase_lines (
  order_id text NOT NULL,
  line integer NOT NULL,
  user_hash bigint NOT NULL,      -- the shopper's hash, as in click tokens
  product_id text NOT NULL,
  quantity bigint NOT NULL CHECK (quantity <> 0),
  price_micros bigint NOT NULL CHECK (price_micros >= 0),
  purchased_at bigint NOT NULL,   -- unix microseconds, the client's purchase time
  recorded_at bigint NOT NULL,    -- unix microseconds of the recording replica's clock
  PRIMARY KEY (order_id, line)
);
CREATE INDEX purchase_lines_shopper ON purchase_lines (user_hash, purchased_at);
