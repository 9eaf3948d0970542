-- Curate: merge live and historical readings into one de-duplicated set (Parquet per room, for BI).
--
-- Same convention as import_historical_s3.sql (both backends run this text; see components/etl/transforms.ts).
--
-- Input views:
--   live_readings    the lake's telemetry zone (every column of the telemetry schema)
--   historical_s3    output of import_historical_s3.sql, as stored in the raw zone
--   historical_jdbc  output of import_historical_jdbc.sql, as stored in the raw zone
-- Output: room_id, device_id, ts, reading_time (TIMESTAMP, UTC), temperature_c, humidity_pct, battery_pct,
--         rssi_dbm, status, source ('live', 'jdbc' or 's3')
--
-- One row per (room, device, ts): a live reading wins over the database's copy, which wins over a file's;
-- exact repeats (MQTT QoS 1 redeliveries, files imported twice) collapse into one.
WITH merged AS (
  SELECT device_id, room_id, ts, temperature_c, humidity_pct, battery_pct, rssi_dbm, status,
    'live' AS source, 0 AS source_rank
  FROM live_readings
  UNION ALL
  SELECT device_id, room_id, ts, temperature_c, humidity_pct,
    CAST(NULL AS DOUBLE) AS battery_pct, CAST(NULL AS INT) AS rssi_dbm, CAST(NULL AS STRING) AS status,
    'jdbc' AS source, 1 AS source_rank
  FROM historical_jdbc
  UNION ALL
  SELECT device_id, room_id, ts, temperature_c, humidity_pct,
    CAST(NULL AS DOUBLE) AS battery_pct, CAST(NULL AS INT) AS rssi_dbm, CAST(NULL AS STRING) AS status,
    's3' AS source, 2 AS source_rank
  FROM historical_s3
),
ranked AS (
  SELECT device_id, room_id, ts, temperature_c, humidity_pct, battery_pct, rssi_dbm, status, source,
    ROW_NUMBER() OVER (PARTITION BY room_id, device_id, ts ORDER BY source_rank, temperature_c, humidity_pct NULLS LAST) AS copy
  FROM merged
  WHERE room_id IS NOT NULL AND device_id IS NOT NULL AND ts IS NOT NULL AND temperature_c IS NOT NULL
)
SELECT
  room_id,
  device_id,
  CAST(ts AS BIGINT) AS ts,
  timestamp_millis(CAST(ts AS BIGINT)) AS reading_time,
  CAST(temperature_c AS DOUBLE) AS temperature_c,
  CAST(humidity_pct AS DOUBLE) AS humidity_pct,
  CAST(battery_pct AS DOUBLE) AS battery_pct,
  CAST(rssi_dbm AS INT) AS rssi_dbm,
  status,
  source
FROM ranked
WHERE copy = 1
