-- View: anomalies scored in the last 24 hours, newest first, with how far above the threshold each was.
SELECT
  room_id,
  device_id,
  ts,
  {{timestamp_ms(ts)}} AS reading_time,
  seq,
  temperature_c,
  score,
  threshold,
  score / threshold AS severity,
  model_version,
  scored_at
FROM anomalies
WHERE dt >= {{utc_date_days_ago(1)}}
  AND ts >= {{now_ms()}} - 86400000
