-- View: temperature per room and hour (min, mean, max, 95th percentile) over the curated readings, which
-- merge live and historical data. The percentile is approximate in Athena and exact in DuckDB.
SELECT
  room_id,
  date_trunc('hour', {{timestamp_ms(ts)}}) AS hour,
  count(*) AS readings,
  count(DISTINCT device_id) AS sensors,
  min(temperature_c) AS min_temperature_c,
  avg(temperature_c) AS avg_temperature_c,
  max(temperature_c) AS max_temperature_c,
  {{percentile(temperature_c, 0.95)}} AS p95_temperature_c
FROM curated_readings
WHERE temperature_c IS NOT NULL
GROUP BY room_id, date_trunc('hour', {{timestamp_ms(ts)}})
