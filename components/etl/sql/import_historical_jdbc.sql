-- Historical JDBC import: rows of the historical database's readings table -> canonical historical readings.
--
-- Same convention as import_historical_s3.sql (both backends run this text; see components/etl/transforms.ts).
--
-- Input view  jdbc_readings: the table components/sources/historical-schema.ts defines:
--   reading_id (bigint, increasing; the job bookmark key), device_id, room_id, reading_time (TIMESTAMP, UTC),
--   temperature_c, humidity_pct
-- Output: device_id, room_id, ts (ms since epoch, UTC), temperature_c, humidity_pct
SELECT
  COALESCE(NULLIF(TRIM(device_id), ''), 'historical') AS device_id,
  TRIM(room_id) AS room_id,
  unix_millis(CAST(reading_time AS TIMESTAMP)) AS ts,
  CAST(temperature_c AS DOUBLE) AS temperature_c,
  CASE
    WHEN CAST(humidity_pct AS DOUBLE) BETWEEN {{humidity_pct.min}} AND {{humidity_pct.max}} THEN CAST(humidity_pct AS DOUBLE)
  END AS humidity_pct
FROM jdbc_readings
WHERE room_id IS NOT NULL
  AND rlike(TRIM(room_id), '^[A-Za-z0-9_]{1,32}$')
  AND reading_time IS NOT NULL
  AND unix_millis(CAST(reading_time AS TIMESTAMP)) BETWEEN 0 AND {{ts.max}}
  AND CAST(temperature_c AS DOUBLE) BETWEEN {{temperature_c.min}} AND {{temperature_c.max}}
