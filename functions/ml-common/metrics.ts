/**
 * How the pipeline functions publish their metrics: CloudWatch embedded metric format lines on stdout, which
 * Lambda hands to CloudWatch Logs and CloudWatch Logs turns into metrics (no PutMetricData call, no extra
 * permission). The local backend gives the same publisher a different line sink.
 */
import { emfRecord, type PipelineMetricValues } from "../../components/operations/pipeline-metrics";

/** Publishes a set of pipeline metric values at one moment. */
export interface MetricsPublisher {
  publish(values: PipelineMetricValues): void;
}

/**
 * Writes each set of values as one EMF line. `write` defaults to `process.stdout.write`: with the JSON log
 * format the functions use, Lambda wraps `console.log` output in its own JSON record (hiding the EMF document
 * from CloudWatch Logs) but passes lines written straight to stdout through unchanged.
 */
export function emfPublisher(
  deployment: string,
  write: (line: string) => void = (line) => void process.stdout.write(`${line}\n`),
  now: () => number = Date.now,
): MetricsPublisher {
  return {
    publish(values) {
      if (Object.keys(values).length === 0) return;
      write(JSON.stringify(emfRecord(deployment, values, now())));
    },
  };
}
