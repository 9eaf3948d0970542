-- Training set: per-room feature rows for the Random Cut Forest (CSV per room, no header).
--
-- Same convention as import_historical_s3.sql (both backends run this text; see components/etl/transforms.ts).
--
-- Input view  curated_readings: output of curate.sql
-- Output: room_id (becomes the room_id=<room>/ folder, not a CSV column), then the feature columns, which are
--   the device's last N temperatures in time order, oldest first (a "shingle" of the configured size; 1 = no
--   shingling: just temperature_c).
--   Every row is a complete feature vector, so row order does not matter to training.
-- The double-brace tokens are generated from the shingle size (trainingFeatureColumns in transforms.ts).
SELECT room_id, {{shingle_columns}}
FROM (
  SELECT
    room_id,
    {{shingle_lags}}
    temperature_c
  FROM curated_readings
) shingled
WHERE {{shingle_complete}}
