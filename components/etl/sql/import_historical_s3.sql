-- Historical S3 import: historical CSV files dropped in the landing prefix -> canonical historical readings.
--
-- Run by both backends on the same text (components/etl/transforms.ts explains the convention):
--   AWS   the Glue job (functions/glue/etl_job.py) with Spark SQL
--   local DuckDB, after the macros in DUCKDB_COMPAT_MACROS (unix_millis, timestamp_millis, rlike)
-- so it uses only SQL both accept: unquoted lowercase identifiers, CAST/TRY_CAST, no backslashes in string
-- literals, no QUALIFY, no engine-specific functions except the three above, one statement, no semicolon.
-- Double-brace tokens (<field>.min, <field>.max) are filled from the telemetry schema's limits
-- (components/telemetry/schema.ts) before either engine sees the text.
--
-- Input view  landing_csv: the CSV columns as text, one row per line, header required:
--   device_id, room_id, reading_time (UTC, ISO 8601: 2024-05-01 13:45:00 or 2024-05-01T13:45:00Z; seconds optional),
--   temperature_c, humidity_pct (may be empty)
-- Output: device_id, room_id, ts (ms since epoch, UTC), temperature_c, humidity_pct
--
-- Rows without a room, a readable time or a plausible temperature are dropped; a time with an explicit
-- offset other than Z is dropped too (the two engines would read it differently). History may be older
-- than the live fleet's earliest plausible clock, so only the schema's upper time bound applies.
WITH parsed AS (
  SELECT
    NULLIF(TRIM(device_id), '') AS device_id,
    NULLIF(TRIM(room_id), '') AS room_id,
    -- A time without seconds gets ':00' (and loses a 'Z': the time is UTC either way): Spark's cast does not read
    -- a 'Z' straight after the minutes, which would drop the reading.
    CASE
      WHEN rlike(TRIM(reading_time), '^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}Z?$')
        THEN concat(substr(TRIM(reading_time), 1, 16), ':00')
      ELSE TRIM(reading_time)
    END AS reading_time_text,
    TRY_CAST(TRIM(temperature_c) AS DOUBLE) AS temperature_c,
    TRY_CAST(NULLIF(TRIM(humidity_pct), '') AS DOUBLE) AS humidity_pct
  FROM landing_csv
),
timed AS (
  SELECT
    device_id,
    room_id,
    CASE
      WHEN rlike(reading_time_text, '^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?Z?$')
        THEN unix_millis(TRY_CAST(reading_time_text AS TIMESTAMP))
    END AS ts,
    temperature_c,
    humidity_pct
  FROM parsed
)
SELECT
  COALESCE(device_id, 'historical') AS device_id,
  room_id,
  ts,
  temperature_c,
  CASE WHEN humidity_pct BETWEEN {{humidity_pct.min}} AND {{humidity_pct.max}} THEN humidity_pct END AS humidity_pct
FROM timed
WHERE room_id IS NOT NULL
  AND rlike(room_id, '^[A-Za-z0-9_]{1,32}$')
  AND ts BETWEEN 0 AND {{ts.max}}
  AND temperature_c BETWEEN {{temperature_c.min}} AND {{temperature_c.max}}
