"""One Glue job script for every ETL job (S3 import, JDBC import, curate): what a job does is its spec.

The job's default argument --job_spec (built by components/etl/job-spec.ts from components/etl/transforms.ts)
lists its sources and steps. For each source the script registers a Spark temp view; for each step it reads
the step's SQL file from S3 (the same text the local backend runs in DuckDB), runs it with spark.sql,
registers the result as the step's view and writes it to the step's lake zone. Sources read with Glue
DynamicFrames (landing CSV, JDBC) carry a transformation_ctx, so job bookmarks make imports incremental
when the job enables them; job.commit() records what was read only after every write succeeded.

etl_spec.py (shipped with --extra-py-files) parses the spec.
"""

import sys

import boto3
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, IntegerType, LongType, StringType, StructField, StructType, TimestampType
from pyspark.sql.utils import AnalysisException

from etl_spec import conform_plan, missing_table_message, parse_spec, split_s3_uri

# Messages Spark gives for a lake zone that has no data yet (first run): an empty view, not a failure.
NO_DATA_MARKERS = ("PATH_NOT_FOUND", "Path does not exist", "UNABLE_TO_INFER_SCHEMA", "Unable to infer schema")

args = getResolvedOptions(sys.argv, ["JOB_NAME", "job_spec"])
spec = parse_spec(args["job_spec"])

spark_context = SparkContext.getOrCreate()
glue_context = GlueContext(spark_context)
spark = glue_context.spark_session
logger = glue_context.get_logger()
# The SQL's times are UTC (transforms.ts); partition values stay text ("007" is a room, not the number 7).
spark.conf.set("spark.sql.session.timeZone", "UTC")
spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
job = Job(glue_context)
job.init(args["JOB_NAME"], args)
s3 = boto3.client("s3")


SPARK_TYPES = {"string": StringType, "bigint": LongType, "int": IntegerType, "double": DoubleType, "timestamp": TimestampType}


def empty_view(columns):
    schema = StructType([StructField(c["name"], SPARK_TYPES[c["type"]](), True) for c in columns])
    return spark.createDataFrame([], schema)


def conform(df, columns, where):
    """Fails on a missing required column, adds missing optional ones as NULL, casts each to its type."""
    return df.select(
        *[
            (F.col(f"`{c['source']}`") if c["source"] is not None else F.lit(None)).cast(c["type"]).alias(c["name"])
            for c in conform_plan(columns, df.columns, where)
        ]
    )


def read_source(source):
    kind, view, columns = source["kind"], source["view"], source["columns"]
    if kind == "landing-csv":
        frame = glue_context.create_dynamic_frame.from_options(
            connection_type="s3",
            connection_options={"paths": [source["path"]], "recurse": True},
            format="csv",
            format_options={"withHeader": True, "separator": ","},
            transformation_ctx=view,
        )
        df = frame.toDF()
        return empty_view(columns) if not df.columns else conform(df, columns, f"CSV files under {source['path']}")
    if kind == "jdbc":
        try:
            frame = glue_context.create_dynamic_frame.from_options(
                connection_type=source["connection_type"],
                connection_options={
                    "useConnectionProperties": "true",
                    "connectionName": source["connection_name"],
                    "dbtable": source["table"],
                    "jobBookmarkKeys": [source["bookmark_key"]],
                    "jobBookmarkKeysSortOrder": "asc",
                },
                transformation_ctx=view,
            )
            df = frame.toDF()
        except Exception as err:
            # A missing table is a configuration error with a fix, not a driver stack trace; the ETL planner
            # recognises the message in the job's run history.
            message = missing_table_message(source, str(err))
            if message:
                raise RuntimeError(message) from err
            raise
        return empty_view(columns) if not df.columns else conform(df, columns, f"table {source['table']}")
    try:
        df = spark.read.option("basePath", source["path"]).option("mergeSchema", "true").parquet(source["path"])
    except AnalysisException as err:
        if any(marker in str(err) for marker in NO_DATA_MARKERS):
            logger.info(f"{view}: no data under {source['path']} yet; using an empty view")
            return empty_view(columns)
        raise
    return conform(df, columns, f"Parquet under {source['path']}")


def read_sql(uri):
    bucket, key = split_s3_uri(uri)
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")


def write_output(df, output, rows):
    partition_by = output["partition_by"]
    if rows == 0 and output["mode"] == "append":
        return
    # One task per partition value: one file per room per run instead of one per Spark partition.
    arranged = df.repartition(*[F.col(c) for c in partition_by]) if partition_by else df.coalesce(1)
    writer = arranged.write.mode(output["mode"])
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    if output["format"] == "parquet":
        writer.parquet(output["path"])
    else:
        writer.option("header", "true" if output["header"] else "false").csv(output["path"])


for source in spec["sources"]:
    read_source(source).createOrReplaceTempView(source["view"])

for step in spec["steps"]:
    result = spark.sql(read_sql(step["sql_uri"])).cache()
    result.createOrReplaceTempView(step["view"])
    rows = result.count()
    logger.info(f"{spec['job']}: {step['view']} has {rows} rows; writing {step['output']['format']} to {step['output']['path']}")
    write_output(result, step["output"], rows)

job.commit()
