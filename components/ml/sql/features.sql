-- Feature rows: the Random Cut Forest's input vectors, one row per reading, computed by window functions over
-- each device's own readings in one room, in time order (historical readings without a sensor ID all have the
-- device 'historical', so the room keeps rooms apart). ONE text for both phases and both backends (rendered by
-- components/ml/feature-sql.ts, which fills the double-brace tokens):
--   training  components/etl/sql/training.sql over curated_readings   (Glue Spark SQL; DuckDB locally)
--   scoring   components/analytics/sql/scoring_input.sql over telemetry (Athena;        DuckDB locally)
-- so the model is scored on exactly the vectors it was trained on. Only SQL that Spark SQL, Trino and DuckDB
-- all accept: window functions with ROWS frames, LAG, AVG; no named windows, no QUALIFY, no engine functions.
--
-- Per reading (the "deviation" feature set: what a fault does to a sensor, not what the weather does):
--   deviation_c  the temperature minus the mean of the device's previous N readings (the baseline; fewer at the start)
--   step_c       the temperature minus the previous reading's
-- The "temperature" feature set uses temperature_c itself. A vector is a shingle: the features of the device's
-- last N readings, oldest first (`<feature>_lag<k>` ... `<feature>`); it is complete once every part exists.
SELECT {{carry}}{{vector}}
FROM (
  SELECT {{carry}},
    temperature_c - AVG(temperature_c) OVER (
      PARTITION BY room_id, device_id ORDER BY ts ROWS BETWEEN {{baseline}} PRECEDING AND 1 PRECEDING
    ) AS deviation_c,
    temperature_c - LAG(temperature_c, 1) OVER (PARTITION BY room_id, device_id ORDER BY ts) AS step_c
  FROM {{input}}
) per_reading
