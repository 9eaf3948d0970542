/**
 * Where the sources that do not come through IoT Core (the HTTPS API, the REST pollers) send readings: valid
 * ones to the ingest stream (with `ingestStream: kinesis`) or straight to the telemetry delivery stream, rejected
 * ones to the quarantine delivery stream. The environment contract of those functions, built once for the
 * components and the local backend. Pure.
 */

/** The destination of valid readings. */
export type TelemetryTarget =
  | { readonly kind: "kinesis"; readonly streamName: string }
  | { readonly kind: "firehose"; readonly deliveryStreamName: string };

export interface DeliveryTargets {
  readonly telemetry: TelemetryTarget;
  /** Firehose delivery stream of the quarantine zone. */
  readonly quarantineDeliveryStream: string;
}

export const DELIVERY_ENV = {
  /** `kinesis:<stream name>` or `firehose:<delivery stream name>`. */
  telemetryTarget: "TELEMETRY_TARGET",
  quarantineDeliveryStream: "QUARANTINE_DELIVERY_STREAM",
} as const;

/** Source label of readings posted to the HTTP API (the quarantine record's `topic`). */
export const HTTPS_SOURCE = "https/readings";

/** Source label of a poller's readings. */
export function pollerSource(name: string): string {
  return `poller/${name}`;
}

/** The environment variables naming the targets. */
export function deliveryEnvironment(targets: DeliveryTargets): Record<string, string> {
  const t = targets.telemetry;
  return {
    [DELIVERY_ENV.telemetryTarget]:
      t.kind === "kinesis" ? `kinesis:${t.streamName}` : `firehose:${t.deliveryStreamName}`,
    [DELIVERY_ENV.quarantineDeliveryStream]: targets.quarantineDeliveryStream,
  };
}

/** Reads the targets back; every problem names the variable. */
export function deliveryTargetsFromEnv(env: Readonly<Record<string, string | undefined>>): DeliveryTargets {
  const target = env[DELIVERY_ENV.telemetryTarget] ?? "";
  const match = /^(kinesis|firehose):([A-Za-z0-9_.-]{1,128})$/.exec(target);
  if (!match)
    throw new Error(
      `environment variable ${DELIVERY_ENV.telemetryTarget} must be kinesis:<stream> or firehose:<delivery stream> (got "${target}")`,
    );
  const quarantine = env[DELIVERY_ENV.quarantineDeliveryStream] ?? "";
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(quarantine))
    throw new Error(
      `environment variable ${DELIVERY_ENV.quarantineDeliveryStream} must name the quarantine delivery stream (got "${quarantine}")`,
    );
  const name = match[2]!;
  return {
    telemetry:
      match[1] === "kinesis"
        ? { kind: "kinesis", streamName: name }
        : { kind: "firehose", deliveryStreamName: name },
    quarantineDeliveryStream: quarantine,
  };
}
