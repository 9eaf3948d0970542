-- Query: readings that arrived in the scoring window, plus earlier readings of the same devices as shingle
-- context. Windows are on received_at (arrival), not ts, so a reading that arrives late is still scored once.
-- The scoring function decides which rows are new (received_at > :since_ms) and which are only context.
SELECT
  device_id,
  room_id,
  ts,
  seq,
  temperature_c,
  received_at
FROM telemetry
WHERE dt BETWEEN :from_day AND :to_day
  AND received_at > :context_since_ms
  AND received_at <= :until_ms
  AND temperature_c IS NOT NULL
ORDER BY device_id, ts, seq
