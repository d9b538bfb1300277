-- Gavel schema, version 4: sales reports by dimension and attribution candidates kept at ingest
-- (docs/billing.md, "Sales"), as the embedded store keeps them.
--
-- Events gain the token's report dimensions: placement (catalog::Placement), the matched target
-- and the normalised search term (empty for rows written before this version, reported as
-- "(none)" and "unspecified").
ALTER TABLE events
  ADD COLUMN placement smallint NOT NULL DEFAULT 0,
  ADD COLUMN target_id text NOT NULL DEFAULT '',
  ADD COLUMN search_term text NOT NULL DEFAULT '';

-- GetSalesReport's per-dimension delivery counters per campaign, local day and key
-- (billing/dimensions.h): dimension 1 ad group, 2 target, 3 placement, 4 search term. Written in
-- the batch's transaction, as campaign_stats.
CREATE TABLE dimension_stats (
  campaign_id text NOT NULL,
  dimension smallint NOT NULL CHECK (dimension BETWEEN 1 AND 4),
  day integer NOT NULL,
  key text NOT NULL,
  impressions bigint NOT NULL DEFAULT 0,
  clicks bigint NOT NULL DEFAULT 0,
  invalid_clicks bigint NOT NULL DEFAULT 0,
  budget_exhausted_clicks bigint NOT NULL DEFAULT 0,
  spend_micros bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (campaign_id, dimension, day, key)
);
-- What the periodic fold of search terms past the retention reads.
CREATE INDEX dimension_stats_terms_by_day ON dimension_stats (day) WHERE dimension = 4;

-- Per campaign and local day, how many distinct search terms keep their own key (at most
-- kMaxSearchTermsPerDay; later ones count under "(other)"). The row is also the lock that orders
-- the day's new terms across replicas.
CREATE TABLE search_term_days (
  campaign_id text NOT NULL,
  day integer NOT NULL,
  terms integer NOT NULL,
  PRIMARY KEY (campaign_id, day)
);

-- The counters of the events recorded before this version: every key the embedded store gives
-- such an event (its ad group, else "(none)"; no target, placement or search term).
INSERT INTO dimension_stats (campaign_id, dimension, day, key, impressions, clicks, invalid_clicks,
                             budget_exhausted_clicks, spend_micros)
SELECT e.campaign_id, d.dimension, e.day,
       CASE d.dimension
         WHEN 1 THEN CASE WHEN e.ad_group_id = '' THEN '(none)' ELSE e.ad_group_id END
         WHEN 3 THEN 'unspecified'
         ELSE '(none)'
       END,
       count(*) FILTER (WHERE e.event_type = 1 AND e.outcome = 2),
       count(*) FILTER (WHERE e.event_type = 2 AND e.outcome = 1),
       count(*) FILTER (WHERE e.event_type = 2 AND e.outcome NOT IN (1, 5)),
       count(*) FILTER (WHERE e.event_type = 2 AND e.outcome = 5),
       coalesce(sum(e.charged_micros) FILTER (WHERE e.event_type = 2 AND e.outcome = 1), 0)
FROM events e CROSS JOIN (VALUES (1), (2), (3), (4)) AS d(dimension)
WHERE e.campaign_id <> ''
GROUP BY 1, 2, 3, 4;

-- A purchase line's attribution candidates (billing/attribution.h, AttributionCandidates): the
-- clicks, encoded as billing/sales_index.h EncodeCandidates writes them. NULL for lines recorded
-- before this version until a replica of this version computes them at start.
ALTER TABLE purchase_lines ADD COLUMN candidates bytea;
CREATE INDEX purchase_lines_uncomputed ON purchase_lines (order_id, line) WHERE candidates IS NULL;

-- Per campaign and local day, the lines one of its clicks of that day became a candidate for,
-- with a copy of the line and of its candidates in `entry` (billing/sales_index.h
-- EncodeLineEntry), so a report reads one index range of two columns. Rows are
-- written under the shopper's lock (shopper_clicks) in the transaction that changes the line's
-- candidates. Citus: distributes by campaign_id.
CREATE TABLE campaign_lines (
  campaign_id text NOT NULL,
  day integer NOT NULL,
  order_id text NOT NULL,
  line integer NOT NULL,
  entry bytea NOT NULL,
  PRIMARY KEY (campaign_id, day, order_id, line)
);
CREATE INDEX campaign_lines_by_line ON campaign_lines (order_id, line);
