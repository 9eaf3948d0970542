import { expect } from "chai";
import { execFileSync } from "child_process";
import { GLUE_DIR, python } from "../../helpers/glue-python";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  etlSqlKey,
  GLUE_SCRIPT_FILES,
  glueJobSpec,
  GlueJobLocations,
  glueScriptKey,
} from "../../../components/etl/job-spec";
import { ETL_JOBS, EtlJobKey } from "../../../components/etl/transforms";
import { missingSourceTable } from "../../../components/sources/historical-schema";

const LOCATIONS: GlueJobLocations = {
  buckets: {
    raw: "sensors-dev-raw-1a2b3c4",
    curated: "sensors-dev-curated-5d6e7f8",
    artifacts: "sensors-dev-artifacts-9a8b7c6",
  },
  historicalPrefix: "landing/historical/",
  jdbc: { connectionName: "sensors-dev-historical-jdbc", engine: "sqlserver" },
};

const PARSE_ALL = `
import json, sys
from etl_spec import parse_spec, SpecError
out = []
for text in json.load(sys.stdin):
    try:
        spec = parse_spec(text)
        out.append({"ok": spec["job"]})
    except SpecError as err:
        out.append({"error": str(err)})
print(json.dumps(out))
`;

describe("Glue job scripts", () => {
  it("compile with python3 -m py_compile", () => {
    const files = fs.readdirSync(GLUE_DIR).filter((f) => f.endsWith(".py"));
    expect(files).to.include.members([GLUE_SCRIPT_FILES.main, ...GLUE_SCRIPT_FILES.helpers]);
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "pycache-"));
    try {
      // PYTHONPYCACHEPREFIX keeps the compiled files out of the repository.
      execFileSync("python3", ["-m", "py_compile", ...files.map((f) => path.join(GLUE_DIR, f))], {
        env: { ...process.env, PYTHONPYCACHEPREFIX: cache },
        stdio: "pipe",
        timeout: 60_000,
      });
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });

  it("accept the spec job-spec.ts builds for every job (the TypeScript/Python contract)", () => {
    const keys = Object.keys(ETL_JOBS) as EtlJobKey[];
    const specs = keys.map((key) => JSON.stringify(glueJobSpec(key, LOCATIONS)));
    expect(JSON.parse(python(PARSE_ALL, JSON.stringify(specs)))).to.deep.equal(
      keys.map((key) => ({ ok: key })),
    );
  });

  it("reject a spec that lacks what the job needs, naming the field", () => {
    const jdbc = glueJobSpec("jdbcImport", LOCATIONS) as unknown as { sources: Record<string, unknown>[] };
    const broken = [
      JSON.stringify({ ...jdbc, sources: [{ ...jdbc.sources[0], connection_name: "" }] }),
      JSON.stringify({ ...glueJobSpec("curate", LOCATIONS), steps: [] }),
      "{not json",
    ];
    const results = JSON.parse(python(PARSE_ALL, JSON.stringify(broken))) as { error?: string }[];
    expect(results[0]!.error).to.equal("sources[0].connection_name must be a non-empty string");
    expect(results[1]!.error).to.equal("steps must be a non-empty list");
    expect(results[2]!.error).to.match(/^job spec is not JSON/);
  });

  it("report missing required CSV columns, whatever the header's case", () => {
    const out = python(
      `
import json, sys
from etl_spec import missing_required
spec = json.load(sys.stdin)
print(json.dumps(missing_required(spec["sources"][0]["columns"], ["Device_ID", "ROOM_ID", "humidity_pct"])))
`,
      JSON.stringify(glueJobSpec("s3Import", LOCATIONS)),
    );
    expect(JSON.parse(out)).to.deep.equal(["reading_time", "temperature_c"]);
  });

  it("report a JDBC read of a table that does not exist as the spec's configuration error, per engine", () => {
    const errors = {
      postgres:
        'An error occurred while calling o88.getDynamicFrame.\n: org.postgresql.util.PSQLException: ERROR: relation "public.readings" does not exist\n  Position: 15',
      mysql: "java.sql.SQLSyntaxErrorException: Table 'telemetry.readings' doesn't exist",
      sqlserver: "com.microsoft.sqlserver.jdbc.SQLServerException: Invalid object name 'dbo.readings'.",
    } as const;
    const cases = (Object.keys(errors) as (keyof typeof errors)[]).flatMap((engine) => {
      const [source] = glueJobSpec("jdbcImport", {
        ...LOCATIONS,
        jdbc: { connectionName: "c", engine },
      }).sources;
      return [
        { source, text: errors[engine] },
        { source, text: "Communications link failure: connection timed out" },
      ];
    });
    const out = python(
      `
import json, sys
from etl_spec import missing_table_message
print(json.dumps([missing_table_message(c["source"], c["text"]) for c in json.load(sys.stdin)]))
`,
      JSON.stringify(cases),
    );
    const messages = JSON.parse(out) as (string | null)[];
    expect(messages.filter((_, i) => i % 2 === 1)).to.deep.equal([null, null, null]);
    expect(messages[0]).to.equal(missingSourceTable("postgres", "c").message);
    expect(messages[2]).to.match(
      /^HistoricalSourceMissing: the historical mysql database .* has no table readings\./,
    );
    expect(messages[4]).to.match(/has no table dbo\.readings\./);
  });
});

describe("Glue job specs", () => {
  it("point each job at its zones, SQL files and (for the JDBC import) the connection", () => {
    const s3 = glueJobSpec("s3Import", LOCATIONS);
    expect(s3.sources).to.have.length(1);
    expect(s3.sources[0]).to.deep.include({
      view: "landing_csv",
      kind: "landing-csv",
      path: "s3://sensors-dev-raw-1a2b3c4/landing/historical/",
    });
    expect(s3.steps[0]).to.deep.equal({
      view: "historical_s3",
      sql_uri: "s3://sensors-dev-artifacts-9a8b7c6/glue/scripts/sql/import_historical_s3.sql",
      output: {
        path: "s3://sensors-dev-raw-1a2b3c4/historical/s3/",
        format: "parquet",
        partition_by: ["room_id"],
        mode: "append",
        header: false,
      },
    });

    const jdbc = glueJobSpec("jdbcImport", LOCATIONS);
    expect(jdbc.sources[0]).to.deep.include({
      kind: "jdbc",
      connection_name: "sensors-dev-historical-jdbc",
      connection_type: "sqlserver",
      table: "dbo.readings",
      bookmark_key: "reading_id",
    });

    const curate = glueJobSpec("curate", LOCATIONS);
    expect(curate.sources.map((s) => ("path" in s ? s.path : ""))).to.deep.equal([
      "s3://sensors-dev-raw-1a2b3c4/telemetry/",
      "s3://sensors-dev-raw-1a2b3c4/historical/s3/",
      "s3://sensors-dev-raw-1a2b3c4/historical/jdbc/",
    ]);
    expect(curate.steps.map((s) => [s.view, s.output.path, s.output.format, s.output.mode])).to.deep.equal([
      ["curated_readings", "s3://sensors-dev-curated-5d6e7f8/readings/", "parquet", "overwrite"],
      ["training_rows", "s3://sensors-dev-curated-5d6e7f8/training/", "csv", "overwrite"],
    ]);
  });

  it("refuses a JDBC import without a connection and a malformed landing prefix", () => {
    expect(() => glueJobSpec("jdbcImport", { ...LOCATIONS, jdbc: undefined })).to.throw(
      "ETL job jdbcImport reads the historical database; pass locations.jdbc (connection name and engine)",
    );
    expect(() => glueJobSpec("s3Import", { ...LOCATIONS, historicalPrefix: "/landing" })).to.throw(
      'historicalPrefix must be folders ending in "/" (got "/landing")',
    );
  });

  it("keeps the scripts and SQL under the artifacts bucket's glue/scripts/ prefix", () => {
    expect(glueScriptKey("etl_job.py")).to.equal("glue/scripts/etl_job.py");
    expect(etlSqlKey("curate")).to.equal("glue/scripts/sql/curate.sql");
  });
});
