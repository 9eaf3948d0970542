-- View: anomalies found in the last 24 hours, with what found them (the model's score or a rule) and the alert
-- policy's anomaly score (0.5 = tail probability 1e-5 under the sensor's own score distribution).
SELECT
  room_id,
  device_id,
  ts,
  {{timestamp_ms(ts)}} AS reading_time,
  seq,
  temperature_c,
  kind,
  score,
  threshold,
  anomaly_score,
  model_version,
  scored_at
FROM anomalies
WHERE dt >= {{utc_date_days_ago(1)}}
  AND ts >= {{now_ms()}} - 86400000
