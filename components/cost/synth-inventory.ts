/**
 * What a stack deploys, as the cost estimate needs it, read from the synth's `resources.json` (type, name,
 * inputs of every resource). Pure: it depends only on the file's documented shape, not on how the synth ran
 * the program.
 */

/** One row of `.synth/<stack>/resources.json`. */
export interface SynthResourceRow {
  readonly type: string;
  readonly name: string;
  readonly id?: string;
  readonly inputs: Record<string, unknown>;
}

export interface SynthInventory {
  readonly topicRules: number;
  readonly deliveryStreams: readonly {
    readonly name: string;
    readonly bufferSeconds: number;
    readonly bufferMiB: number;
    readonly convertsToParquet: boolean;
    readonly dynamicPartitioning: boolean;
  }[];
  readonly glueJobs: readonly {
    readonly name: string;
    readonly workerType: string;
    readonly workers: number;
  }[];
  readonly glueCrawlers: number;
  /** States per state machine definition (Parallel branches included). */
  readonly stateMachines: readonly { readonly name: string; readonly states: number }[];
  readonly functions: readonly {
    readonly name: string;
    readonly memoryMiB: number;
    readonly arm64: boolean;
  }[];
  readonly endpointVariants: readonly { readonly instanceType: string; readonly instances: number }[];
  /** Interface endpoints times the subnets (zones) each sits in. */
  readonly interfaceEndpointZones: number;
  readonly interfaceEndpoints: number;
  readonly natGateways: number;
  readonly databases: readonly {
    readonly name: string;
    readonly instanceClass: string;
    readonly engine: string;
    readonly multiAz: boolean;
    readonly storageGb: number;
    readonly storageType: string;
    readonly managedSecret: boolean;
  }[];
  readonly kmsKeys: number;
  /** Metrics read by the alarms (a metric math alarm counts each metric it reads). */
  readonly alarmMetrics: number;
  readonly alarms: number;
  readonly dashboards: number;
  readonly logGroups: number;
  readonly flowLogs: number;
  readonly trails: number;
  readonly secrets: number;
  readonly hostedZones: number;
  readonly containerRepositories: number;
  /** Kinesis data streams (`ingestStream: kinesis`): capacity mode, shards (provisioned) and retention. */
  readonly kinesisStreams: readonly {
    readonly name: string;
    readonly onDemand: boolean;
    readonly shards: number;
    readonly retentionHours: number;
  }[];
  /** DynamoDB tables (the real-time aggregates, the pollers' de-duplication). */
  readonly dynamoTables: readonly {
    readonly name: string;
    readonly onDemand: boolean;
    readonly pointInTimeRecovery: boolean;
  }[];
  /** API Gateway HTTP APIs. */
  readonly httpApis: number;
}

const str = (v: unknown, fallback = ""): string => (typeof v === "string" ? v : fallback);
const num = (v: unknown, fallback = 0): number =>
  typeof v === "number" && Number.isFinite(v) ? v : fallback;

/** States of an ASL definition, counting the states inside Parallel branches and Map iterators. */
export function countStates(definition: unknown): number {
  const doc = typeof definition === "string" ? (JSON.parse(definition) as unknown) : definition;
  const states = (doc as { States?: Record<string, Record<string, unknown>> } | null)?.States ?? {};
  let count = 0;
  for (const state of Object.values(states)) {
    count++;
    for (const branch of (state.Branches as unknown[] | undefined) ?? []) count += countStates(branch);
    for (const nested of [state.Iterator, state.ItemProcessor]) if (nested) count += countStates(nested);
  }
  return count;
}

/** Reads the inventory from the synth's resource rows. */
export function synthInventory(rows: readonly SynthResourceRow[]): SynthInventory {
  const of = (type: string) => rows.filter((r) => r.type === type);
  const endpoints = of("aws:ec2/vpcEndpoint:VpcEndpoint").filter(
    (r) => r.inputs.vpcEndpointType === "Interface",
  );
  return {
    topicRules: of("aws:iot/topicRule:TopicRule").length,
    deliveryStreams: of("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream").map((r) => {
      const s3 = (r.inputs.extendedS3Configuration ?? {}) as Record<string, unknown>;
      const enabled = (key: string) => (s3[key] as { enabled?: unknown } | undefined)?.enabled === true;
      return {
        name: r.name,
        bufferSeconds: num(s3.bufferingInterval, 300),
        bufferMiB: num(s3.bufferingSize, 5),
        convertsToParquet: enabled("dataFormatConversionConfiguration"),
        dynamicPartitioning: enabled("dynamicPartitioningConfiguration"),
      };
    }),
    glueJobs: of("aws:glue/job:Job").map((r) => ({
      name: r.name,
      workerType: str(r.inputs.workerType, "G.1X"),
      workers: num(r.inputs.numberOfWorkers, 2),
    })),
    glueCrawlers: of("aws:glue/crawler:Crawler").length,
    stateMachines: of("aws:sfn/stateMachine:StateMachine").map((r) => ({
      name: r.name,
      states: countStates(r.inputs.definition),
    })),
    functions: of("aws:lambda/function:Function").map((r) => ({
      name: r.name,
      memoryMiB: num(r.inputs.memorySize, 128),
      arm64: Array.isArray(r.inputs.architectures) && r.inputs.architectures.includes("arm64"),
    })),
    endpointVariants: of("aws:sagemaker/endpointConfiguration:EndpointConfiguration").flatMap((r) =>
      ((r.inputs.productionVariants as Record<string, unknown>[] | undefined) ?? []).map((v) => ({
        instanceType: str(v.instanceType),
        instances: num(v.initialInstanceCount, 1),
      })),
    ),
    interfaceEndpointZones: endpoints.reduce(
      (sum, r) => sum + Math.max(1, Array.isArray(r.inputs.subnetIds) ? r.inputs.subnetIds.length : 1),
      0,
    ),
    interfaceEndpoints: endpoints.length,
    natGateways: of("aws:ec2/natGateway:NatGateway").length,
    databases: of("aws:rds/instance:Instance").map((r) => ({
      name: r.name,
      instanceClass: str(r.inputs.instanceClass),
      engine: str(r.inputs.engine, "postgres"),
      multiAz: r.inputs.multiAz === true,
      storageGb: num(r.inputs.allocatedStorage, 20),
      storageType: str(r.inputs.storageType, "gp2"),
      managedSecret: r.inputs.manageMasterUserPassword === true,
    })),
    kmsKeys: of("aws:kms/key:Key").length,
    alarmMetrics: of("aws:cloudwatch/metricAlarm:MetricAlarm").reduce((sum, r) => {
      const queries = r.inputs.metricQueries as { metric?: unknown }[] | undefined;
      return sum + (queries && queries.length > 0 ? queries.filter((q) => q.metric).length : 1);
    }, 0),
    alarms: of("aws:cloudwatch/metricAlarm:MetricAlarm").length,
    dashboards: of("aws:cloudwatch/dashboard:Dashboard").length,
    logGroups: of("aws:cloudwatch/logGroup:LogGroup").length,
    flowLogs: of("aws:ec2/flowLog:FlowLog").length,
    trails: of("aws:cloudtrail/trail:Trail").length,
    secrets: of("aws:secretsmanager/secret:Secret").length,
    hostedZones: of("aws:route53/zone:Zone").length,
    containerRepositories: of("aws:ecr/repository:Repository").length,
    kinesisStreams: of("aws:kinesis/stream:Stream").map((r) => ({
      name: r.name,
      onDemand:
        (r.inputs.streamModeDetails as { streamMode?: unknown } | undefined)?.streamMode !== "PROVISIONED",
      shards: num(r.inputs.shardCount, 1),
      retentionHours: num(r.inputs.retentionPeriod, 24),
    })),
    dynamoTables: of("aws:dynamodb/table:Table").map((r) => ({
      name: r.name,
      onDemand: r.inputs.billingMode === "PAY_PER_REQUEST",
      pointInTimeRecovery:
        (r.inputs.pointInTimeRecovery as { enabled?: unknown } | undefined)?.enabled === true,
    })),
    httpApis: of("aws:apigatewayv2/api:Api").filter((r) => r.inputs.protocolType === "HTTP").length,
  };
}
