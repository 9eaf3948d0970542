-- View: data completeness per device and day over the last 7 days, from the per-device `seq` counter.
-- A jump of seq by more than 1 between consecutive readings is a gap (lost readings); the same seq twice is a
-- duplicate; a drop in seq is a counter reset (device restart) and counts as neither. Gaps are attributed to
-- the day of the reading after the gap, so a gap across midnight is not lost. A reading whose (device_id, seq)
-- another reading has with different values (time, measurements or status) is a conflicting duplicate: a
-- device that reused its counter, or two devices with one identity; both readings are kept, counted and flagged
-- here. Sums are cast to bigint because DuckDB widens sums of integers to HUGEINT where Athena keeps bigint.
SELECT
  device_id,
  room_id,
  dt AS day,
  count(*) AS readings,
  CAST(sum(is_duplicate) AS bigint) AS duplicates,
  CAST(sum(is_conflicting) AS bigint) AS conflicting_duplicates,
  CAST(sum(CASE WHEN lost > 0 THEN 1 ELSE 0 END) AS bigint) AS gaps,
  CAST(sum(lost) AS bigint) AS missing,
  100 * CAST(count(*) - sum(is_duplicate) AS double) / CAST(count(*) - sum(is_duplicate) + sum(lost) AS double)
    AS completeness_pct
FROM (
  SELECT
    device_id, room_id, dt,
    CASE WHEN seq = prev_seq THEN 1 ELSE 0 END AS is_duplicate,
    CASE WHEN same_values < same_seq THEN 1 ELSE 0 END AS is_conflicting,
    CASE WHEN seq > prev_seq + 1 THEN seq - prev_seq - 1 ELSE 0 END AS lost
  FROM (
    SELECT
      device_id, room_id, dt, seq,
      lag(seq) OVER (PARTITION BY device_id ORDER BY ts, seq) AS prev_seq,
      count(*) OVER (PARTITION BY device_id, seq) AS same_seq,
      count(*) OVER (
        PARTITION BY device_id, seq, ts, temperature_c, humidity_pct, battery_pct, rssi_dbm, status
      ) AS same_values
    FROM telemetry
    WHERE dt >= {{utc_date_days_ago(7)}}
  ) ordered
) steps
GROUP BY device_id, room_id, dt
