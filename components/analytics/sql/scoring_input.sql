-- Query: the feature rows of the readings that arrived in a scoring window, with what the rules need.
-- Windows are on received_at (arrival), not ts, so a reading that arrives late is still scored once. Readings
-- that arrived earlier (from :context_since_ms) are context: the baseline, the shingle and the gaps of the
-- window's first readings. A repeated delivery (same device and ts) counts once, as curation keeps it once.
-- The double-brace tokens without parentheses are filled from the model settings before rendering
-- (components/analytics/queries.ts): feature_rows is components/ml/sql/features.sql, the same text the
-- training set (training.sql) embeds; stuck_preceding is the stuck window minus one.
-- Columns besides the vector: missing_readings (readings lost right before this one: a seq jump, or a time gap
-- of several usual intervals, the usual interval being the smallest recent one), stuck (1 when the value has
-- not changed for the stuck window; never when the rule is off).
WITH delivered AS (
  SELECT device_id, room_id, ts, seq, temperature_c, received_at
  FROM (
    SELECT device_id, room_id, ts, seq, temperature_c, received_at,
      row_number() OVER (PARTITION BY device_id, ts ORDER BY received_at, seq) AS copy
    FROM telemetry
    WHERE dt BETWEEN :from_day AND :to_day
      AND received_at > :context_since_ms
      AND received_at <= :until_ms
      AND temperature_c IS NOT NULL
  ) arrivals
  WHERE copy = 1
),
features AS (
{{feature_rows}}
),
stepped AS (
  SELECT {{row_columns}},
    seq - lag(seq) OVER (PARTITION BY device_id ORDER BY ts) - 1 AS seq_gap,
    ts - lag(ts) OVER (PARTITION BY device_id ORDER BY ts) AS interval_ms,
    max(temperature_c) OVER (PARTITION BY device_id ORDER BY ts ROWS BETWEEN {{stuck_preceding}} PRECEDING AND CURRENT ROW)
      - min(temperature_c) OVER (PARTITION BY device_id ORDER BY ts ROWS BETWEEN {{stuck_preceding}} PRECEDING AND CURRENT ROW)
      AS stuck_span_c,
    count(*) OVER (PARTITION BY device_id ORDER BY ts ROWS BETWEEN {{stuck_preceding}} PRECEDING AND CURRENT ROW)
      AS stuck_window
  FROM features
),
gaps AS (
  SELECT stepped.*,
    min(interval_ms) OVER (PARTITION BY device_id ORDER BY ts ROWS BETWEEN {{interval_preceding}} PRECEDING AND 1 PRECEDING)
      AS usual_interval_ms
  FROM stepped
)
SELECT
  {{row_columns}},
  greatest(
    COALESCE(seq_gap, 0),
    COALESCE(CAST(floor(CAST(interval_ms AS double) / nullif(usual_interval_ms, 0) + 0.5) AS bigint) - 1, 0),
    0
  ) AS missing_readings,
  CASE WHEN {{stuck_enabled}} AND stuck_window = {{stuck_preceding}} + 1 AND stuck_span_c = 0 THEN 1 ELSE 0 END AS stuck
FROM gaps
WHERE received_at > :since_ms
ORDER BY device_id, ts
