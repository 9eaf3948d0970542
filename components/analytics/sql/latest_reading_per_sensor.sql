-- View: the most recent reading of every sensor that reported in the last 7 days (fleet health at a glance).
-- Reads the raw telemetry table (fresh within one Firehose buffer); the dt filter prunes partitions.
SELECT
  device_id,
  room_id,
  ts,
  {{timestamp_ms(ts)}} AS reading_time,
  seq,
  temperature_c,
  humidity_pct,
  battery_pct,
  rssi_dbm,
  status,
  received_at
FROM (
  SELECT
    device_id, room_id, ts, seq, temperature_c, humidity_pct, battery_pct, rssi_dbm, status, received_at,
    row_number() OVER (PARTITION BY device_id ORDER BY ts DESC, seq DESC) AS recency
  FROM telemetry
  WHERE dt >= {{utc_date_days_ago(7)}}
) latest
WHERE recency = 1
