"""The job spec an ETL Glue job runs, as built by components/etl/job-spec.ts: parsed and checked here, with no
Spark import, so the contract between the TypeScript that writes the spec and the job that reads it can be
tested anywhere (tests/unit/etl/glue-scripts.test.ts runs parse_spec on every job's spec).

A spec is JSON:
  {"job": "curate",
   "sources": [{"view": ..., "kind": "landing-csv" | "jdbc" | "lake-parquet", "columns": [...], ...}],
   "steps": [{"view": ..., "sql_uri": "s3://...", "output": {"path": ..., "format": ..., ...}}]}
"""

import json
import re

SOURCE_KINDS = ("landing-csv", "jdbc", "lake-parquet")
COLUMN_TYPES = ("string", "bigint", "int", "double", "timestamp")
OUTPUT_FORMATS = ("parquet", "csv")
WRITE_MODES = ("append", "overwrite")
JDBC_CONNECTION_TYPES = ("postgresql", "mysql", "sqlserver")
VIEW_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
S3_URI = re.compile(r"^s3://[a-z0-9.-]{3,63}/([^\s]*/)?$")
S3_OBJECT_URI = re.compile(r"^s3://[a-z0-9.-]{3,63}/[^\s]+[^/]$")


class SpecError(ValueError):
    """The spec does not say what the job needs; the message names the field."""


def _require(condition, message):
    if not condition:
        raise SpecError(message)


def _columns(where, columns):
    _require(isinstance(columns, list) and columns, f"{where}.columns must be a non-empty list")
    for i, column in enumerate(columns):
        at = f"{where}.columns[{i}]"
        _require(isinstance(column, dict), f"{at} must be an object")
        _require(VIEW_NAME.match(str(column.get("name", ""))), f"{at}.name must be a lowercase identifier")
        _require(column.get("type") in COLUMN_TYPES, f"{at}.type must be one of {', '.join(COLUMN_TYPES)}")
        _require(isinstance(column.get("required"), bool), f"{at}.required must be true or false")


def _source(i, source):
    where = f"sources[{i}]"
    _require(isinstance(source, dict), f"{where} must be an object")
    _require(VIEW_NAME.match(str(source.get("view", ""))), f"{where}.view must be a lowercase identifier")
    kind = source.get("kind")
    _require(kind in SOURCE_KINDS, f"{where}.kind must be one of {', '.join(SOURCE_KINDS)} (got {kind!r})")
    _columns(where, source.get("columns"))
    if kind in ("landing-csv", "lake-parquet"):
        _require(S3_URI.match(str(source.get("path", ""))), f"{where}.path must be an s3:// folder URI ending in / (got {source.get('path')!r})")
    else:
        _require(source.get("connection_type") in JDBC_CONNECTION_TYPES, f"{where}.connection_type must be one of {', '.join(JDBC_CONNECTION_TYPES)}")
        for field in ("connection_name", "table", "bookmark_key"):
            _require(isinstance(source.get(field), str) and source[field], f"{where}.{field} must be a non-empty string")
        missing = source.get("missing_table")
        _require(
            isinstance(missing, dict)
            and isinstance(missing.get("message"), str)
            and missing["message"]
            and isinstance(missing.get("patterns"), list)
            and all(isinstance(p, str) for p in missing["patterns"]),
            f"{where}.missing_table must be {{\"patterns\": [regular expressions], \"message\": text}}",
        )


def _step(i, step):
    where = f"steps[{i}]"
    _require(isinstance(step, dict), f"{where} must be an object")
    _require(VIEW_NAME.match(str(step.get("view", ""))), f"{where}.view must be a lowercase identifier")
    _require(S3_OBJECT_URI.match(str(step.get("sql_uri", ""))), f"{where}.sql_uri must be an s3:// object URI (got {step.get('sql_uri')!r})")
    output = step.get("output")
    _require(isinstance(output, dict), f"{where}.output must be an object")
    _require(S3_URI.match(str(output.get("path", ""))), f"{where}.output.path must be an s3:// folder URI ending in /")
    _require(output.get("format") in OUTPUT_FORMATS, f"{where}.output.format must be one of {', '.join(OUTPUT_FORMATS)}")
    _require(output.get("mode") in WRITE_MODES, f"{where}.output.mode must be one of {', '.join(WRITE_MODES)}")
    _require(isinstance(output.get("header"), bool), f"{where}.output.header must be true or false")
    partition_by = output.get("partition_by")
    _require(isinstance(partition_by, list) and all(VIEW_NAME.match(str(c)) for c in partition_by), f"{where}.output.partition_by must be a list of column names")


def parse_spec(text):
    """Parses and checks a job spec; raises SpecError naming the first problem."""
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as err:
        raise SpecError(f"job spec is not JSON: {err}") from err
    _require(isinstance(spec, dict), "job spec must be a JSON object")
    _require(isinstance(spec.get("job"), str) and spec["job"], "job must name the job")
    sources = spec.get("sources")
    steps = spec.get("steps")
    _require(isinstance(sources, list) and sources, "sources must be a non-empty list")
    _require(isinstance(steps, list) and steps, "steps must be a non-empty list")
    for i, source in enumerate(sources):
        _source(i, source)
    for i, step in enumerate(steps):
        _step(i, step)
    views = [s["view"] for s in sources] + [s["view"] for s in steps]
    _require(len(views) == len(set(views)), f"view names must be unique (got {', '.join(views)})")
    return spec


def split_s3_uri(uri):
    """s3://bucket/key -> (bucket, key)."""
    _require(uri.startswith("s3://"), f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[len("s3://"):].partition("/")
    return bucket, key


def missing_required(columns, present):
    """Names of required columns absent from `present` (case-insensitive, as CSV headers vary)."""
    have = {name.lower() for name in present}
    return [c["name"] for c in columns if c["required"] and c["name"] not in have]


class ConformError(ValueError):
    """A source lacks a required column; the message names the source, the columns missing and those present."""


def conform_plan(columns, present, where):
    """How a source's columns become the spec's: for each spec column, the source column read (matched
    case-insensitively) or None (an optional column the source lacks: NULL), and the type to cast to. Raises
    ConformError on a missing required column. The local runner (local/etl/glue-job-runner.ts) applies
    conformPlan (components/etl/job-spec.ts), which tests/unit/etl/glue-parity.test.ts holds equal to this."""
    missing = missing_required(columns, present)
    if missing:
        raise ConformError(
            f"{where} lacks required column(s) {', '.join(missing)}; it has {', '.join(present) or 'no columns'}. "
            "components/sources/historical-schema.ts documents the expected columns."
        )
    lowered = {}
    for name in present:
        lowered.setdefault(name.lower(), name)
    return [{"name": c["name"], "source": lowered.get(c["name"]), "type": c["type"]} for c in columns]


def missing_table_message(source, error_text):
    """The configuration error to report when a JDBC read failed because its table does not exist, else None."""
    missing = source.get("missing_table") or {}
    if any(re.search(pattern, error_text, re.IGNORECASE) for pattern in missing.get("patterns", [])):
        return missing["message"]
    return None
