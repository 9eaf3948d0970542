-- Training set: per-room feature vectors for the Random Cut Forest (CSV per room, no header).
--
-- Same convention as import_historical_s3.sql (both backends run this text; see components/etl/transforms.ts).
--
-- Input view  curated_readings: output of curate.sql
-- Output: room_id (becomes the room_id=<room>/ folder, not a CSV column), then the vector's columns: the rows of
--   components/ml/sql/features.sql, the same text the scoring input query (scoring_input.sql) embeds, so the
--   model is trained on the vectors scoring sends it. Only complete vectors; every row stands alone, so row
--   order does not matter to training.
-- The double-brace tokens are filled from the model's feature settings (components/ml/feature-sql.ts).
SELECT room_id, {{vector_columns}}
FROM (
{{feature_rows}}
) features
WHERE {{vector_complete}}
