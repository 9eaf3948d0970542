import { expect } from "chai";
import { python } from "../../helpers/glue-python";
import {
  conformPlan,
  glueJobSpec,
  GlueJobLocations,
  missingTableMessage,
} from "../../../components/etl/job-spec";
import { ETL_JOBS, EtlJobKey } from "../../../components/etl/transforms";

// The Glue script (functions/glue/etl_job.py) and the local runner (local/etl/glue-job-runner.ts) read sources
// with different engines (Spark, DuckDB) but decide the same things: which source column feeds which spec
// column, which are NULL, what a missing column or table is reported as. Both take those decisions from one
// function each (etl_spec.py's conform_plan / missing_table_message, job-spec.ts's conformPlan /
// missingTableMessage); these tests run the same cases through both and require the same answers.
const LOCATIONS: GlueJobLocations = {
  buckets: { raw: "raw-bucket", curated: "curated-bucket", artifacts: "artifacts-bucket" },
  historicalPrefix: "landing/historical/",
  jdbc: { connectionName: "historical-jdbc", engine: "postgres" },
};

/** The Python side: `code` reads the cases as JSON on stdin and prints its answers as JSON. */
function pythonJson(code: string, cases: unknown): unknown {
  return JSON.parse(python(code, JSON.stringify(cases)));
}

describe("Glue script and local runner parity", () => {
  const sources = (Object.keys(ETL_JOBS) as EtlJobKey[]).flatMap(
    (key) => glueJobSpec(key, LOCATIONS).sources,
  );

  it("conform the same way: column matching, NULL optionals, casts and the missing-column error", () => {
    const cases = sources.flatMap((source) => {
      const names = source.columns.map((c) => c.name);
      const required = source.columns.filter((c) => c.required).map((c) => c.name);
      return [
        names,
        names.map((n) => n.toUpperCase()).reverse(),
        [...required, "extra_column"],
        [...names.slice(1), "Device_ID", "device_id"],
        names.filter((n) => n !== required[0]),
        [],
      ].map((present) => ({ columns: source.columns, present, where: `source ${source.view}` }));
    });
    const ts = cases.map((c) => {
      try {
        return { plan: conformPlan(c.columns, c.present, c.where) };
      } catch (err) {
        return { error: (err as Error).message };
      }
    });
    const py = pythonJson(
      `
import json, sys
from etl_spec import conform_plan, ConformError
out = []
for c in json.load(sys.stdin):
    try:
        out.append({"plan": conform_plan(c["columns"], c["present"], c["where"])})
    except ConformError as err:
        out.append({"error": str(err)})
print(json.dumps(out))
`,
      cases,
    );
    expect(ts.filter((r) => "error" in r).length, "cases that fail").to.be.greaterThan(sources.length);
    expect(ts.filter((r) => "plan" in r).length, "cases that pass").to.be.greaterThan(sources.length);
    expect(py).to.deep.equal(ts);
  });

  it("report the same configuration error for a JDBC table that does not exist, for every engine", () => {
    const texts = [
      'ERROR: relation "public.readings" does not exist',
      "java.sql.SQLSyntaxErrorException: Table 'telemetry.readings' doesn't exist",
      "com.microsoft.sqlserver.jdbc.SQLServerException: Invalid object name 'dbo.readings'.",
      "Communications link failure: connection timed out",
    ];
    const cases = (["postgres", "mysql", "sqlserver"] as const).flatMap((engine) => {
      const source = glueJobSpec("jdbcImport", { ...LOCATIONS, jdbc: { connectionName: "c", engine } })
        .sources[0]!;
      return texts.map((text) => ({ source, text }));
    });
    const ts = cases.map(
      (c) => missingTableMessage(c.source as Parameters<typeof missingTableMessage>[0], c.text) ?? null,
    );
    const py = pythonJson(
      `
import json, sys
from etl_spec import missing_table_message
print(json.dumps([missing_table_message(c["source"], c["text"]) for c in json.load(sys.stdin)]))
`,
      cases,
    );
    expect(ts.filter((m) => m !== null)).to.have.length.greaterThanOrEqual(3);
    expect(py).to.deep.equal(ts);
  });
});
