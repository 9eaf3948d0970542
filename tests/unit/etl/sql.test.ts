import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import {
  DUCKDB_COMPAT_MACROS,
  duckDbType,
  ETL_JOBS,
  ETL_SQL_NAMES,
  ETL_VIEWS,
  EtlViewName,
  fillSqlTokens,
  readSqlTemplate,
  renderEtlSql,
} from "../../../components/etl/transforms";
import { featureSettings, vectorColumns } from "../../../components/ml/feature-sql";
import { telemetryField } from "../../../components/telemetry/schema";

type Row = Record<string, string | number | null>;

/** Creates a table named like the view, typed from ETL_VIEWS, holding `rows`. */
async function createView(db: DuckDBConnection, view: EtlViewName, rows: Row[]): Promise<void> {
  const columns = ETL_VIEWS[view];
  await db.run(
    `CREATE OR REPLACE TABLE ${view} (${columns.map((c) => `${c.name} ${duckDbType(c.type)}`).join(", ")})`,
  );
  for (const row of rows) {
    const values = columns.map((c) => {
      const v = row[c.name];
      if (v === null || v === undefined) return "NULL";
      const literal = typeof v === "number" ? String(v) : `'${v.replace(/'/g, "''")}'`;
      return `CAST(${literal} AS ${duckDbType(c.type)})`;
    });
    await db.run(`INSERT INTO ${view} VALUES (${values.join(", ")})`);
  }
}

async function query(db: DuckDBConnection, sql: string): Promise<Row[]> {
  const reader = await db.runAndReadAll(sql);
  return reader
    .getRowObjectsJS()
    .map((r) =>
      Object.fromEntries(
        Object.entries(r).map(([k, v]) => [
          k,
          typeof v === "bigint"
            ? Number(v)
            : v instanceof Date
              ? v.toISOString()
              : (v as string | number | null),
        ]),
      ),
    );
}

/** Runs a step the way the local backend will: the rendered SQL, its result registered as the step's view. */
async function runStep(
  db: DuckDBConnection,
  sql: Parameters<typeof renderEtlSql>[0],
  view: EtlViewName,
  features = featureSettings("deviation", 30, 1),
): Promise<Row[]> {
  await db.run(`CREATE OR REPLACE TABLE ${view} AS ${renderEtlSql(sql, { features })}`);
  return query(db, `SELECT * FROM ${view}`);
}

const ms = (iso: string) => Date.parse(iso);

describe("ETL SQL", () => {
  let instance: DuckDBInstance;
  let db: DuckDBConnection;

  beforeEach(async () => {
    instance = await DuckDBInstance.create(":memory:");
    db = await instance.connect();
    for (const macro of DUCKDB_COMPAT_MACROS) await db.run(macro);
  });
  afterEach(() => {
    db.closeSync();
    instance.closeSync();
  });

  it("renders every file: limits from the telemetry schema, no token left, no trailing semicolon", () => {
    for (const name of ETL_SQL_NAMES) {
      const text = renderEtlSql(name);
      expect(text, name).to.not.include("{{");
      expect(text, name).to.not.match(/;\s*$/);
      // The header comment states the shared convention.
      expect(readSqlTemplate(name), name).to.match(/^-- .*\n--\n-- (Run by both backends|Same convention)/);
    }
    const s3 = renderEtlSql("import_historical_s3");
    const temperature = telemetryField("temperature_c");
    expect(s3).to.include(`temperature_c BETWEEN ${temperature.min} AND ${temperature.max}`);
    expect(s3).to.include(`ts BETWEEN 0 AND ${telemetryField("ts").max}`);
  });

  it("fails on an unknown token or a bound the schema does not define, naming the file", () => {
    expect(() => fillSqlTokens("curate", "SELECT {{nonsense}}", {})).to.throw(
      "curate.sql: unknown token {{nonsense}}",
    );
    expect(() => fillSqlTokens("curate", "SELECT {{device_id.min}}", {})).to.throw(
      "curate.sql: telemetry field device_id has no min (token {{device_id.min}})",
    );
    expect(() => fillSqlTokens("curate", "SELECT {{Bad-Token}}", {})).to.throw(
      'curate.sql: malformed token near "{{Bad-Token}}"',
    );
    expect(() => fillSqlTokens("curate", "SELECT 1;\n", {})).to.throw(
      "curate.sql must not end with a semicolon",
    );
  });

  it("uses no backslash in any string literal (Spark and DuckDB would read it differently)", () => {
    for (const name of ETL_SQL_NAMES) expect(renderEtlSql(name), name).to.not.include("\\");
  });

  it("imports historical CSV rows: parses UTC times, drops unusable rows, keeps optional columns optional", async () => {
    await createView(db, "landing_csv", [
      {
        device_id: " dev-1 ",
        room_id: "lab",
        reading_time: "2024-05-01 13:45:00",
        temperature_c: "21.5",
        humidity_pct: "40",
      },
      {
        device_id: "",
        room_id: "lab",
        reading_time: "2024-05-01T13:50:00Z",
        temperature_c: " 22 ",
        humidity_pct: "",
      },
      {
        device_id: "dev-2",
        room_id: "office",
        reading_time: "2024-05-01T13:55:00.250",
        temperature_c: "19.25",
        humidity_pct: "140",
      },
      // kept: history older than the live fleet's earliest plausible clock
      {
        device_id: "nab",
        room_id: "plant",
        reading_time: "2013-12-02 21:15:00",
        temperature_c: "23.5",
        humidity_pct: null,
      },
      // kept: a time without seconds, with and without Z
      {
        device_id: "dev-4",
        room_id: "lab",
        reading_time: "2024-05-01T14:05Z",
        temperature_c: "20.5",
        humidity_pct: null,
      },
      {
        device_id: "dev-4",
        room_id: "lab",
        reading_time: "2024-05-01 14:10",
        temperature_c: "20.75",
        humidity_pct: null,
      },
      // dropped: offset other than Z, unreadable time, implausible temperature, bad room, no room, beyond 2100
      {
        device_id: "dev-3",
        room_id: "lab",
        reading_time: "2024-05-01T13:45:00+02:00",
        temperature_c: "21",
        humidity_pct: null,
      },
      {
        device_id: "dev-3",
        room_id: "lab",
        reading_time: "yesterday",
        temperature_c: "21",
        humidity_pct: null,
      },
      {
        device_id: "dev-3",
        room_id: "lab",
        reading_time: "2024-05-01 14:00:00",
        temperature_c: "300",
        humidity_pct: null,
      },
      {
        device_id: "dev-3",
        room_id: "lab/../x",
        reading_time: "2024-05-01 14:00:00",
        temperature_c: "20",
        humidity_pct: null,
      },
      {
        device_id: "dev-3",
        room_id: " ",
        reading_time: "2024-05-01 14:00:00",
        temperature_c: "20",
        humidity_pct: null,
      },
      {
        device_id: "dev-3",
        room_id: "lab",
        reading_time: "2101-01-01 00:00:00",
        temperature_c: "20",
        humidity_pct: null,
      },
    ]);
    const rows = await runStep(db, "import_historical_s3", "historical_s3");
    expect(rows).to.deep.equal([
      {
        device_id: "dev-1",
        room_id: "lab",
        ts: ms("2024-05-01T13:45:00Z"),
        temperature_c: 21.5,
        humidity_pct: 40,
      },
      {
        device_id: "historical",
        room_id: "lab",
        ts: ms("2024-05-01T13:50:00Z"),
        temperature_c: 22,
        humidity_pct: null,
      },
      {
        device_id: "dev-2",
        room_id: "office",
        ts: ms("2024-05-01T13:55:00.250Z"),
        temperature_c: 19.25,
        humidity_pct: null,
      },
      {
        device_id: "nab",
        room_id: "plant",
        ts: ms("2013-12-02T21:15:00Z"),
        temperature_c: 23.5,
        humidity_pct: null,
      },
      {
        device_id: "dev-4",
        room_id: "lab",
        ts: ms("2024-05-01T14:05:00Z"),
        temperature_c: 20.5,
        humidity_pct: null,
      },
      {
        device_id: "dev-4",
        room_id: "lab",
        ts: ms("2024-05-01T14:10:00Z"),
        temperature_c: 20.75,
        humidity_pct: null,
      },
    ]);
    expect(Object.keys(rows[0]!)).to.deep.equal(ETL_VIEWS.historical_s3.map((c) => c.name));
  });

  it("imports historical database rows with typed columns", async () => {
    await createView(db, "jdbc_readings", [
      {
        reading_id: 1,
        device_id: "dev-9",
        room_id: "lab",
        reading_time: "2024-04-30 23:59:59.5",
        temperature_c: 18,
        humidity_pct: 55.5,
      },
      {
        reading_id: 2,
        device_id: null,
        room_id: " office ",
        reading_time: "2024-05-01 00:00:00",
        temperature_c: -45,
        humidity_pct: null,
      },
      {
        reading_id: 3,
        device_id: null,
        room_id: "office",
        reading_time: "2024-05-01 00:05:00",
        temperature_c: 20.5,
        humidity_pct: -1,
      },
    ]);
    const rows = await runStep(db, "import_historical_jdbc", "historical_jdbc");
    expect(rows).to.deep.equal([
      {
        device_id: "dev-9",
        room_id: "lab",
        ts: ms("2024-04-30T23:59:59.500Z"),
        temperature_c: 18,
        humidity_pct: 55.5,
      },
      {
        device_id: "historical",
        room_id: "office",
        ts: ms("2024-05-01T00:05:00Z"),
        temperature_c: 20.5,
        humidity_pct: null,
      },
    ]);
  });

  it("curates: live wins over the database, which wins over files; repeats collapse; every source is labelled", async () => {
    const t = ms("2024-05-01T12:00:00Z");
    const live = (seq: number, ts: number, temperature: number) => ({
      device_id: "dev-1",
      room_id: "lab",
      ts,
      seq,
      temperature_c: temperature,
      humidity_pct: 40,
      battery_pct: 90,
      rssi_dbm: -60,
      status: "ok",
      received_at: ts + 150,
    });
    await createView(db, "live_readings", [live(1, t, 21), live(1, t, 21), live(2, t + 60_000, 21.5)]);
    await createView(db, "historical_jdbc", [
      { device_id: "dev-1", room_id: "lab", ts: t, temperature_c: 20, humidity_pct: null },
      { device_id: "dev-1", room_id: "lab", ts: t - 60_000, temperature_c: 20.5, humidity_pct: 41 },
    ]);
    await createView(db, "historical_s3", [
      { device_id: "dev-1", room_id: "lab", ts: t - 60_000, temperature_c: 99, humidity_pct: null },
      { device_id: "historical", room_id: "office", ts: t, temperature_c: 19, humidity_pct: null },
      { device_id: "historical", room_id: "office", ts: t, temperature_c: 19, humidity_pct: null },
    ]);
    const rows = await runStep(db, "curate", "curated_readings");
    const byKey = (r: Row) => `${r.room_id}/${r.device_id}/${r.ts}`;
    rows.sort((a, b) => byKey(a).localeCompare(byKey(b)));
    expect(rows.map((r) => [r.room_id, r.device_id, r.ts, r.temperature_c, r.source])).to.deep.equal([
      ["lab", "dev-1", t - 60_000, 20.5, "jdbc"],
      ["lab", "dev-1", t, 21, "live"],
      ["lab", "dev-1", t + 60_000, 21.5, "live"],
      ["office", "historical", t, 19, "s3"],
    ]);
    const liveRow = rows.find((r) => r.source === "live" && r.ts === t)!;
    expect(liveRow).to.include({
      reading_time: "2024-05-01T12:00:00.000Z",
      battery_pct: 90,
      rssi_dbm: -60,
      status: "ok",
      humidity_pct: 40,
    });
    expect(Object.keys(liveRow)).to.deep.equal(ETL_VIEWS.curated_readings.map((c) => c.name));
    const historicalRow = rows.find((r) => r.source === "s3")!;
    expect(historicalRow).to.include({ battery_pct: null, rssi_dbm: null, status: null });
  });

  it("keeps the same copy of a reading whatever the engine's default order of NULLs (Spark: first, DuckDB: last)", async () => {
    const t = ms("2024-05-01T12:00:00Z");
    await createView(db, "live_readings", []);
    await createView(db, "historical_jdbc", []);
    // Two file copies of one reading, equal but for the humidity only one of them has.
    await createView(db, "historical_s3", [
      { device_id: "dev-1", room_id: "lab", ts: t, temperature_c: 20, humidity_pct: null },
      { device_id: "dev-1", room_id: "lab", ts: t, temperature_c: 20, humidity_pct: 41 },
    ]);
    const kept: unknown[] = [];
    try {
      for (const order of ["nulls_first", "nulls_last"]) {
        await db.run(`SET default_null_order = '${order}'`);
        kept.push((await runStep(db, "curate", "curated_readings")).map((r) => r.humidity_pct));
      }
    } finally {
      await db.run("RESET default_null_order");
    }
    expect(kept).to.deep.equal([[41], [41]]);
  });

  it("curates empty sources into an empty result (a first run before any history)", async () => {
    for (const view of ["live_readings", "historical_jdbc", "historical_s3"] as const)
      await createView(db, view, []);
    expect(await runStep(db, "curate", "curated_readings")).to.deep.equal([]);
  });

  it("builds training rows of feature vectors per device: deviation from the baseline, step, shingles", async () => {
    const t = ms("2024-05-01T12:00:00Z");
    const curated = [20, 21, 22, 23].map((temperature, i) => ({
      room_id: "lab",
      device_id: "dev-1",
      ts: t + i * 60_000,
      reading_time: null,
      temperature_c: temperature,
      humidity_pct: null,
      battery_pct: null,
      rssi_dbm: null,
      status: null,
      source: "live",
    }));
    curated.push({ ...curated[0]!, device_id: "dev-2", temperature_c: 30 });
    await createView(db, "curated_readings", curated);

    // Raw temperature, no shingle: one row per reading.
    const raw = await runStep(db, "training", "training_rows", featureSettings("temperature", 30, 1));
    expect(raw.map((r) => r.temperature_c).sort()).to.deep.equal([20, 21, 22, 23, 30]);
    expect(Object.keys(raw[0]!)).to.deep.equal(["room_id", "temperature_c"]);

    // Deviation from the mean of up to 2 previous readings, and the step: dev-1's first reading and dev-2's
    // only one have no baseline yet, so no vector.
    const deviation = await runStep(db, "training", "training_rows", featureSettings("deviation", 2, 1));
    expect(Object.keys(deviation[0]!)).to.deep.equal(["room_id", "deviation_c", "step_c"]);
    expect(deviation.map((r) => [r.deviation_c, r.step_c]).sort()).to.deep.equal([
      [1, 1],
      [1.5, 1],
      [1.5, 1],
    ]);

    const shingle = featureSettings("deviation", 2, 2);
    const shingled = await runStep(db, "training", "training_rows", shingle);
    expect(Object.keys(shingled[0]!)).to.deep.equal(["room_id", ...vectorColumns(shingle)]);
    expect(shingled.map((r) => vectorColumns(shingle).map((c) => r[c])).sort()).to.deep.equal([
      [1, 1, 1.5, 1],
      [1.5, 1, 1.5, 1],
    ]);
  });

  it("keeps each room's series apart for readings without a sensor ID (all of them device 'historical')", async () => {
    const t = ms("2024-05-01T12:00:00Z");
    // Two rooms' historical readings, interleaved in time: 20, 21, 22 in the lab; 10, 11, 12 in the office.
    const curated = [0, 1, 2].flatMap((i) =>
      (["lab", "office"] as const).map((room) => ({
        room_id: room,
        device_id: "historical",
        ts: t + i * 60_000 + (room === "office" ? 1 : 0),
        reading_time: null,
        temperature_c: (room === "lab" ? 20 : 10) + i,
        humidity_pct: null,
        battery_pct: null,
        rssi_dbm: null,
        status: null,
        source: "s3",
      })),
    );
    await createView(db, "curated_readings", curated);
    const rows = await runStep(db, "training", "training_rows", featureSettings("deviation", 2, 1));
    // Within a room every step is 1 degree; mixed, the steps would jump by 10.
    expect(rows.map((r) => [r.room_id, r.deviation_c, r.step_c]).sort()).to.deep.equal([
      ["lab", 1, 1],
      ["lab", 1.5, 1],
      ["office", 1, 1],
      ["office", 1.5, 1],
    ]);
  });

  it("names vector columns oldest first and rejects impossible feature settings", () => {
    expect(vectorColumns(featureSettings("temperature", 30, 1))).to.deep.equal(["temperature_c"]);
    expect(vectorColumns(featureSettings("temperature", 30, 3))).to.deep.equal([
      "temperature_c_lag2",
      "temperature_c_lag1",
      "temperature_c",
    ]);
    expect(() => featureSettings("deviation", 30, 0)).to.throw(
      "shingleSize must be a whole number from 1 to 64 (got 0)",
    );
    expect(() => featureSettings("deviation", 1, 1)).to.throw(
      "baselineReadings must be a whole number from 2 to 10000 (got 1)",
    );
  });

  it("defines each job's sources and steps so that every view a step reads exists before it runs", () => {
    for (const job of Object.values(ETL_JOBS)) {
      const available = new Set<string>(job.sources.map((s) => s.view));
      for (const step of job.steps) {
        const text = renderEtlSql(step.sql).replace(/--.*$/gm, "");
        const read = Object.keys(ETL_VIEWS).filter((v) => new RegExp(`\\b(FROM|JOIN)\\s+${v}\\b`).test(text));
        expect(read, `${job.key}/${step.sql}`).to.not.be.empty;
        for (const view of read)
          expect(available.has(view), `${job.key}/${step.sql} reads ${view}`).to.equal(true);
        available.add(step.view);
      }
    }
  });

  it("runs the curate job over a Firehose-like lake on disk, room_id only in the key, writing both outputs per room", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "etl-lake-"));
    try {
      const t = ms("2024-05-01T12:00:00Z");
      const live = [1, 2, 3].map((seq) => ({
        device_id: "dev-1",
        room_id: "lab",
        ts: t + seq * 60_000,
        seq,
        temperature_c: 20 + seq,
        humidity_pct: 40,
        battery_pct: 90,
        rssi_dbm: -60,
        status: "ok",
        received_at: t + seq * 60_000 + 100,
      }));
      await createView(db, "live_readings", [...live, { ...live[0]!, device_id: "dev-7", room_id: "007" }]);
      // Firehose with dynamic partitioning keeps room_id in the key, not in the file.
      fs.mkdirSync(path.join(dir, "raw"));
      await db.run(
        `COPY (SELECT *, strftime(epoch_ms(ts), '%Y-%m-%d') AS dt FROM live_readings) TO '${dir}/raw/telemetry' (FORMAT parquet, PARTITION_BY (room_id, dt))`,
      );
      expect(fs.readdirSync(path.join(dir, "raw/telemetry")).sort()).to.deep.equal([
        "room_id=007",
        "room_id=lab",
      ]);
      await db.run("DROP TABLE live_readings");
      // Sources as ETL_JOBS.curate lists them; history zones empty on a first run.
      await db.run(
        `CREATE VIEW live_readings AS SELECT * FROM read_parquet('${dir}/raw/telemetry/**/*.parquet', hive_partitioning = true, hive_types_autocast = false)`,
      );
      for (const view of ["historical_s3", "historical_jdbc"] as const) await createView(db, view, []);
      for (const step of ETL_JOBS.curate.steps) {
        await db.run(`CREATE OR REPLACE TABLE ${step.view} AS ${renderEtlSql(step.sql)}`);
        const target = path.join(dir, step.output.zone);
        const format =
          step.output.format === "csv" ? `FORMAT csv, HEADER ${step.output.header}` : "FORMAT parquet";
        await db.run(
          `COPY ${step.view} TO '${target}' (${format}, PARTITION_BY (${step.output.partitionBy.join(", ")}))`,
        );
      }
      const curated = await query(
        db,
        `SELECT room_id, device_id, ts FROM read_parquet('${dir}/curatedReadings/**/*.parquet', hive_partitioning = true, hive_types_autocast = false) ORDER BY room_id, ts`,
      );
      // "007" stays a room name, not the number 7.
      expect(curated.map((r) => r.room_id)).to.deep.equal(["007", "lab", "lab", "lab"]);
      const training = fs.readFileSync(
        path.join(
          dir,
          "training",
          "room_id=lab",
          fs.readdirSync(path.join(dir, "training", "room_id=lab"))[0]!,
        ),
        "utf8",
      );
      // Default features (deviation, step): the first reading has no baseline; then 22 - 21 and 23 - 21.5.
      const vectors = training
        .trim()
        .split("\n")
        .map((line) => line.split(",").map(Number));
      expect(vectors.sort()).to.deep.equal([
        [1, 1],
        [1.5, 1],
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
