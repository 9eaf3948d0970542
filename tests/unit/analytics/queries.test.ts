// The analytics SQL: the dialect renderer (pure) and every query run in DuckDB, the engine the local backend
// uses, on data whose answers are known. Athena gets the same text with its own placeholders expanded.
import { expect } from "chai";
import { buildModelSettings } from "../../../components/ml/model-settings";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import {
  athenaExecutionParameters,
  positionalParameters,
  renderSql,
  SqlTemplateError,
} from "../../../components/analytics/sql-dialect";
import {
  ANALYTICS_QUERIES,
  analyticsQuery,
  duckDbType,
  renderQuery,
  scoringInputColumns,
} from "../../../components/analytics/queries";
import { duckDbColumns } from "../../../components/telemetry/schema";
import { ANOMALY_RECORD_COLUMNS } from "../../../components/ml/anomaly-record";

/** The default model: its features and rules shape the scoring input query. */
const MODEL = buildModelSettings({ numTrees: 50, shingleSize: 1, z: 3 });

describe("analytics SQL dialect", () => {
  it("renders the percentile placeholder per engine", () => {
    const sql = "SELECT {{percentile(temperature_c, 0.95)}} AS p95 FROM t";
    expect(renderSql(sql, "athena").text).to.equal(
      "SELECT approx_percentile(temperature_c, 0.95) AS p95 FROM t",
    );
    expect(renderSql(sql, "duckdb").text).to.equal("SELECT quantile_cont(temperature_c, 0.95) AS p95 FROM t");
  });

  it("keeps nested parentheses inside one argument", () => {
    const sql = "SELECT {{timestamp_ms(coalesce(ts, received_at))}}";
    expect(renderSql(sql, "duckdb").text).to.equal(
      "SELECT epoch_ms(CAST(coalesce(ts, received_at) AS BIGINT))",
    );
  });

  it("turns named parameters into positional markers, in order, repeats included", () => {
    const rendered = renderSql("SELECT * FROM t WHERE a > :since AND b <= :until AND c > :since", "athena");
    expect(rendered.text).to.equal("SELECT * FROM t WHERE a > ? AND b <= ? AND c > ?");
    expect(rendered.parameters).to.deep.equal(["since", "until", "since"]);
    expect(athenaExecutionParameters(rendered, { since: 5, until: "it's" })).to.deep.equal([
      "5",
      "'it''s'",
      "5",
    ]);
    expect(positionalParameters(rendered, { since: 5, until: "x" })).to.deep.equal([5, "x", 5]);
  });

  it("does not touch placeholders or colons inside literals and drops comment lines", () => {
    const sql = "-- header {{nope()}}\nSELECT '{{x}} :notparam' AS s, \"a:b\" FROM t -- :trailing";
    const rendered = renderSql(sql, "duckdb");
    expect(rendered.text).to.equal("SELECT '{{x}} :notparam' AS s, \"a:b\" FROM t -- :trailing");
    expect(rendered.parameters).to.deep.equal([]);
  });

  it("rejects unknown placeholders, wrong arity and bad literals with the file and line", () => {
    expect(() => renderSql("SELECT 1\nFROM {{median(x)}}", "athena", "q.sql")).to.throw(
      SqlTemplateError,
      'q.sql:2: unknown placeholder "median"; known placeholders: percentile, timestamp_ms, now_ms, utc_date_days_ago',
    );
    expect(() => renderSql("SELECT {{percentile(x)}}", "athena", "q.sql")).to.throw(
      "q.sql:1: {{percentile}} takes 2 arguments (expression, fraction), got 1",
    );
    expect(() => renderSql("SELECT {{percentile(x, 95)}}", "athena", "q.sql")).to.throw(
      'q.sql:1: {{percentile}}: fraction must be a literal between 0 and 1 such as 0.95 (got "95")',
    );
    expect(() => renderSql("SELECT {{utc_date_days_ago(n)}}", "duckdb", "q.sql")).to.throw(
      'days must be a whole number literal (got "n")',
    );
    expect(() => renderSql("SELECT 'open", "duckdb", "q.sql")).to.throw(
      "q.sql:1: unterminated string literal",
    );
  });

  it("refuses to run with a parameter left unbound, and the scoring input without the model's features", () => {
    const rendered = renderQuery("scoring_input", "athena", MODEL);
    expect(() =>
      athenaExecutionParameters(rendered, { from_day: "2024-01-01", to_day: "2024-01-02" }),
    ).to.throw("SQL parameters :context_since_ms, :until_ms, :since_ms not given a value");
    expect(() => renderQuery("scoring_input", "athena")).to.throw(
      "the scoring_input query needs the model's feature settings to render",
    );
  });

  it("renders every query file for both engines without leftover placeholders", () => {
    for (const query of ANALYTICS_QUERIES) {
      for (const engine of ["athena", "duckdb"] as const) {
        const { text } = renderQuery(query.name, engine, MODEL);
        expect(text, `${query.name} (${engine})`).not.to.match(/\{\{|\}\}|:[a-z_]+\b/);
      }
      expect(renderQuery(query.name, "athena", MODEL).text).not.to.include("quantile_cont");
      expect(renderQuery(query.name, "duckdb", MODEL).text).not.to.include("approx_percentile");
    }
    expect(renderQuery("hourly_room_stats", "athena").text).to.include(
      "approx_percentile(temperature_c, 0.95)",
    );
  });
});

describe("analytics queries in DuckDB", () => {
  const DAY = 86_400_000;
  const now = Date.now();
  const today = new Date(now).toISOString().slice(0, 10);
  const yesterday = new Date(now - DAY).toISOString().slice(0, 10);
  let db: DuckDBInstance;
  let connection: DuckDBConnection;

  const rows = async (name: string, values: Record<string, string | number> = {}) => {
    const rendered = renderQuery(name, "duckdb", MODEL);
    const reader = await connection.runAndReadAll(rendered.text, positionalParameters(rendered, values));
    return { reader, objects: reader.getRowObjectsJS() };
  };

  before(async () => {
    db = await DuckDBInstance.create(":memory:");
    connection = await db.connect();
    const telemetryColumns = [...duckDbColumns().map((c) => `${c.name} ${c.type}`), "dt VARCHAR"].join(", ");
    await connection.run(`CREATE TABLE telemetry (${telemetryColumns})`);
    await connection.run(`CREATE TABLE curated_readings (${telemetryColumns})`);
    const anomalyColumns = [
      ...ANOMALY_RECORD_COLUMNS.map((c) => `${c.name} ${c.duckDbType}`),
      "room_id VARCHAR",
      "dt VARCHAR",
    ].join(", ");
    await connection.run(`CREATE TABLE anomalies (${anomalyColumns})`);

    // Sensor a: seq 1..10 yesterday with 4 and 5 lost, 7 received twice and 9 twice with different values;
    // seq 11..12 today.
    // Sensor b: one reading today after a counter reset from 50 to 0.
    const insert = async (
      table: string,
      device: string,
      room: string,
      seq: number,
      ts: number,
      temperature: number,
    ) => {
      const dt = new Date(ts).toISOString().slice(0, 10);
      await connection.run(`INSERT INTO ${table} VALUES (?, ?, ?, ?, ?, 40.0, 90.0, -60, 'ok', ?, ?)`, [
        device,
        room,
        ts,
        seq,
        temperature,
        ts + 500,
        dt,
      ]);
    };
    // Noon yesterday (UTC), so the ten readings never straddle midnight.
    const base = Date.parse(`${today}T00:00:00Z`) - DAY / 2;
    for (const seq of [1, 2, 3, 6, 7, 7, 8, 9, 10])
      await insert("telemetry", "a", "lab", seq, base + seq * 60_000, 20 + seq / 10);
    // seq 9 once more, with another temperature: a conflicting duplicate (seq 7's repeat is an exact one).
    await insert("telemetry", "a", "lab", 9, base + 9 * 60_000, 35.5);
    await insert("telemetry", "a", "lab", 11, now - 120_000, 21.1);
    await insert("telemetry", "a", "lab", 12, now - 60_000, 21.2);
    await insert("telemetry", "b", "office", 50, now - 3 * 60_000, 18);
    await insert("telemetry", "b", "office", 0, now - 2 * 60_000, 18.5);

    // Curated: 100 readings in one hour of room lab with temperatures 0..99.
    const hour = Math.floor((now - 2 * DAY) / 3_600_000) * 3_600_000;
    for (let i = 0; i < 100; i++)
      await insert("curated_readings", i % 2 ? "a" : "c", "lab", i, hour + i * 1000, i);

    const anomaly = async (ts: number, score: number) => {
      const values: Record<string, string | number> = {
        device_id: "a",
        ts,
        seq: 1,
        temperature_c: 35,
        score,
        threshold: 2,
        kind: "score",
        anomaly_score: score / 6,
        model_version: "run-1",
        scored_at: ts + 1000,
      };
      const dt = new Date(ts).toISOString().slice(0, 10);
      await connection.run(
        `INSERT INTO anomalies VALUES (${ANOMALY_RECORD_COLUMNS.map(() => "?").join(", ")}, 'lab', ?)`,
        [...ANOMALY_RECORD_COLUMNS.map((c) => values[c.name]!), dt],
      );
    };
    await anomaly(now - 3_600_000, 3);
    await anomaly(now - 2 * DAY, 5);
  });

  after(() => {
    connection.closeSync();
    db.closeSync();
  });

  it("returns exactly the columns and types each view declares", async () => {
    for (const query of ANALYTICS_QUERIES) {
      const values = { from_day: yesterday, to_day: today, context_since_ms: 0, since_ms: 0, until_ms: now };
      const { reader } = await rows(query.name, query.kind === "query" ? values : {});
      const columns = query.name === "scoring_input" ? scoringInputColumns(MODEL) : query.columns;
      expect(reader.columnNames(), query.name).to.deep.equal(columns.map((c) => c.name));
      expect(reader.columnTypes().map(String), query.name).to.deep.equal(
        columns.map((c) => duckDbType(c.type)),
      );
    }
  });

  it("latest_reading_per_sensor keeps the newest reading per device", async () => {
    const { objects } = await rows("latest_reading_per_sensor");
    const byDevice = Object.fromEntries(objects.map((r) => [r.device_id as string, r]));
    expect(Object.keys(byDevice).sort()).to.deep.equal(["a", "b"]);
    expect(Number(byDevice.a!.seq)).to.equal(12);
    expect(Number(byDevice.b!.seq)).to.equal(0);
    expect((byDevice.a!.reading_time as Date).getTime()).to.equal(now - 60_000);
  });

  it("hourly_room_stats computes min, mean, max and the 95th percentile", async () => {
    const { objects } = await rows("hourly_room_stats");
    expect(objects).to.have.length(1);
    const stats = objects[0]!;
    expect(stats.room_id).to.equal("lab");
    expect(Number(stats.readings)).to.equal(100);
    expect(Number(stats.sensors)).to.equal(2);
    expect(stats.min_temperature_c).to.equal(0);
    expect(stats.max_temperature_c).to.equal(99);
    expect(stats.avg_temperature_c).to.equal(49.5);
    expect(stats.p95_temperature_c).to.be.closeTo(94.05, 1e-9);
  });

  it("anomalies_last_24h keeps only the last day, with what found each anomaly and its anomaly score", async () => {
    const { objects } = await rows("anomalies_last_24h");
    expect(objects).to.have.length(1);
    expect(objects[0]).to.include({ score: 3, kind: "score", anomaly_score: 0.5 });
  });

  it("device_completeness counts gaps, lost readings, duplicates, flags conflicting ones and ignores counter resets", async () => {
    const { objects } = await rows("device_completeness");
    const key = (r: Record<string, unknown>) => `${String(r.device_id)}/${String(r.day)}`;
    const byKey = Object.fromEntries(objects.map((r) => [key(r), r]));
    const a = byKey[`a/${yesterday}`]!;
    // Just after midnight, seq 11 and 12 (a minute or two ago) still belong to yesterday and follow seq 10.
    const lateReadings = [now - 120_000, now - 60_000].filter(
      (ts) => new Date(ts).toISOString().slice(0, 10) === yesterday,
    ).length;
    expect(Number(a.readings)).to.equal(10 + lateReadings);
    expect(Number(a.duplicates)).to.equal(2);
    expect(Number(a.conflicting_duplicates)).to.equal(2);
    expect(Number(a.gaps)).to.equal(1);
    expect(Number(a.missing)).to.equal(2);
    expect(a.completeness_pct).to.be.closeTo((100 * (8 + lateReadings)) / (10 + lateReadings), 1e-9);
    const b = byKey[`b/${new Date(now - 2 * 60_000).toISOString().slice(0, 10)}`]!;
    expect(Number(b.missing)).to.equal(0);
    expect(Number(b.conflicting_duplicates)).to.equal(0);
    expect(b.completeness_pct).to.equal(100);
  });

  it("scoring_input selects by arrival time within the window, with earlier arrivals as context", async () => {
    const window = { from_day: yesterday, to_day: today, until_ms: now - 90_000 };
    const { objects } = await rows("scoring_input", {
      ...window,
      context_since_ms: now - 150_000,
      since_ms: now - 150_000,
    });
    expect(objects.map((r) => `${String(r.device_id)}:${Number(r.seq)}`)).to.deep.equal(["a:11", "b:0"]);
    expect(analyticsQuery("scoring_input").kind).to.equal("query");
    // With a day of context: a's repeated delivery of seq 7 counts once, seq 11 gets its baseline, b's
    // reading after the counter reset is no gap, a's lost seq 4 and 5 show on seq 6, and a's silence from
    // yesterday noon until seq 11 is a time gap of hundreds of its one-minute intervals.
    const withContext = await rows("scoring_input", { ...window, context_since_ms: 0, since_ms: 0 });
    const a = withContext.objects.filter((r) => r.device_id === "a");
    expect(a.map((r) => Number(r.seq))).to.deep.equal([1, 2, 3, 6, 7, 8, 9, 10, 11]);
    expect(a.map((r) => Number(r.missing_readings)).slice(0, 8)).to.deep.equal([0, 0, 0, 2, 0, 0, 0, 0]);
    expect(Number(a.at(-1)!.missing_readings)).to.be.greaterThan(600);
    const eleven = a.at(-1)!;
    expect(eleven.deviation_c).to.be.closeTo(
      21.1 - (20.1 + 20.2 + 20.3 + 20.6 + 20.7 + 20.8 + 20.9 + 21) / 8,
      1e-9,
    );
    expect(eleven.step_c).to.be.closeTo(0.1, 1e-9);
    expect(
      withContext.objects.find((r) => r.device_id === "b" && Number(r.seq) === 0)!.missing_readings,
    ).to.equal(0n);
  });
});
