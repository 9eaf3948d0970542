/**
 * The delivery resources the HTTPS API and the pollers send readings to, as Pulumi inputs, and the two forms
 * their functions need: names for the environment (`DeliveryTargets`) and ARNs for the role (`DeliveryArns`).
 */
import * as pulumi from "@pulumi/pulumi";
import type { DeliveryTargets } from "../ingest/delivery-targets";
import type { DeliveryArns } from "./iam-documents";

export interface DeliveryResources {
  /** Valid readings: the ingest stream (`ingestStream: kinesis`) or the telemetry delivery stream. */
  readonly telemetry:
    | {
        readonly kind: "kinesis";
        readonly name: pulumi.Input<string>;
        readonly arn: pulumi.Input<string>;
        /** @default - none: the stream's AWS-managed key */
        readonly kmsKeyArn?: pulumi.Input<string | undefined> | undefined;
      }
    | { readonly kind: "firehose"; readonly name: pulumi.Input<string>; readonly arn: pulumi.Input<string> };
  /** The quarantine delivery stream. */
  readonly quarantine: { readonly name: pulumi.Input<string>; readonly arn: pulumi.Input<string> };
}

/** The targets' names, for the functions' environment. */
export function deliveryTargetsOutput(d: DeliveryResources): pulumi.Output<DeliveryTargets> {
  const t = d.telemetry;
  return pulumi
    .all([t.name, d.quarantine.name])
    .apply(([telemetryName, quarantineName]): DeliveryTargets => ({
      telemetry:
        t.kind === "kinesis"
          ? { kind: "kinesis", streamName: telemetryName }
          : { kind: "firehose", deliveryStreamName: telemetryName },
      quarantineDeliveryStream: quarantineName,
    }));
}

/** The targets' ARNs (and the stream's key), for the functions' roles. */
export function deliveryArnsOutput(d: DeliveryResources): pulumi.Output<DeliveryArns> {
  const t = d.telemetry;
  return pulumi
    .all([t.arn, t.kind === "kinesis" ? t.kmsKeyArn : undefined, d.quarantine.arn])
    .apply(([arn, keyArn, quarantineArn]): DeliveryArns => ({
      telemetry:
        t.kind === "kinesis"
          ? { kind: "kinesis", streamArn: arn, kmsKeyArn: keyArn }
          : { kind: "firehose", deliveryStreamArn: arn },
      quarantineDeliveryStreamArn: quarantineArn,
    }));
}
