/**
 * Realistic answers for every resource and data source this project uses: IDs and ARNs with the right
 * partition, region, account and resource-type format, derived deterministically from the resource's type
 * and name so they are stable from run to run. An invoke nobody mocked throws `Mock not implemented: <token>`,
 * so a new data source never passes silently.
 *
 * This file answers resources; `mock-data-sources.ts` answers invokes and `mock-ids.ts` makes the IDs.
 *
 * Both offline runners answer with these: the in-process one (`in-process.ts`) and the gRPC resource
 * monitor that serves a program started the way the Pulumi CLI starts it (`engine.ts`).
 */
import type * as pulumi from "@pulumi/pulumi";
import { dataSourceAnswer } from "./mock-data-sources";
import { autoName, ec2Id, fakePem, hex, SERVICE_ARN_NAMES, ssmParameterArn, uuid } from "./mock-ids";

export { MockNotImplementedError } from "./mock-data-sources";

/** The AWS account the mocks pretend to deploy into. */
export const MOCK_ACCOUNT_ID = "111122223333";

/** Realistic mock answers for the resources and data sources this project uses. */
export class AwsMocks implements pulumi.runtime.Mocks {
  /**
   * @param ssmParameters the account's Parameter Store before the program runs (name to String value), which
   *   `aws.ssm.getParametersByPath` reads; none by default, as in a new account
   */
  constructor(
    readonly region: string,
    readonly accountId: string = MOCK_ACCOUNT_ID,
    readonly ssmParameters: Readonly<Record<string, string>> = {},
  ) {}

  get partition(): string {
    if (this.region.startsWith("cn-")) return "aws-cn";
    if (this.region.startsWith("us-gov-")) return "aws-us-gov";
    return "aws";
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    return dataSourceAnswer(args, this);
  }

  newResource(args: pulumi.runtime.MockResourceArgs): {
    id: string | undefined;
    state: Record<string, unknown>;
  } {
    const inputs = args.inputs as Record<string, unknown>;
    if (!args.custom) return { id: undefined, state: this.componentState(args.type, args.name, inputs) };
    // A read (`aws.s3.Bucket.get(name, id)`) answers the resource with that ID; a bucket's ID is its name.
    const read = args.id ? args.id : undefined;
    const known = read && args.type === "aws:s3/bucket:Bucket" ? { bucket: read, ...inputs } : inputs;
    const computed = this.computedState(args.type, args.name, known);
    return { id: read ?? computed.id, state: { ...known, ...computed.state } };
  }

  /**
   * Outputs of multi-language components (awsx), which run in their provider's process, not under the mocks:
   * the outputs the program reads, so it runs on (their inputs are recorded like any resource's). Components
   * written in this program compute their own outputs and get none here.
   */
  private componentState(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
  ): Record<string, unknown> {
    const { region, accountId: acct, partition: p } = this;
    switch (type) {
      case "awsx:ecr:Image":
        return { imageUri: `${String(inputs.repositoryUrl)}@sha256:${hex(`${type}::${name}`, 64)}` };
      case "awsx:ecs:FargateTaskDefinition":
      case "awsx:ecs:EC2TaskDefinition": {
        const family = typeof inputs.family === "string" ? inputs.family : autoName(name, `${type}::${name}`);
        const arn = `arn:${p}:ecs:${region}:${acct}:task-definition/${family}:1`;
        return { taskDefinition: { arn, family, revision: 1 }, loadBalancers: [] };
      }
      default:
        return {};
    }
  }

  /** ID and computed attributes for one resource type. */
  private computedState(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
  ): { id: string; state: Record<string, unknown> } {
    const { region, accountId: acct, partition: p } = this;
    const seed = `${type}::${name}`;
    const str = (key: string) => (typeof inputs[key] === "string" ? (inputs[key] as string) : undefined);
    const named = (key = "name", lower = false) => str(key) ?? autoName(name, seed, lower);
    const [pkg, mod] = type.split(":");
    const service = (mod ?? "").split("/")[0] ?? "";
    switch (type) {
      case "aws:s3/bucket:Bucket": {
        const bucket = named("bucket", true);
        return {
          id: bucket,
          state: {
            bucket,
            arn: `arn:${p}:s3:::${bucket}`,
            bucketDomainName: `${bucket}.s3.amazonaws.com`,
            bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com`,
            region,
          },
        };
      }
      case "aws:kms/key:Key": {
        const keyId = uuid(seed);
        return { id: keyId, state: { keyId, arn: `arn:${p}:kms:${region}:${acct}:key/${keyId}` } };
      }
      case "aws:kms/alias:Alias":
        return {
          id: str("name") ?? `alias/${name}`,
          state: {
            arn: `arn:${p}:kms:${region}:${acct}:${str("name") ?? `alias/${name}`}`,
            targetKeyArn: `arn:${p}:kms:${region}:${acct}:key/${str("targetKeyId") ?? uuid(seed)}`,
          },
        };
      case "aws:iam/role:Role": {
        const roleName = named();
        return {
          id: roleName,
          state: {
            name: roleName,
            arn: `arn:${p}:iam::${acct}:role${str("path") ?? "/"}${roleName}`,
            uniqueId: `AROA${hex(seed, 17).toUpperCase()}`,
          },
        };
      }
      case "aws:iam/policy:Policy": {
        const policyName = named();
        const arn = `arn:${p}:iam::${acct}:policy${str("path") ?? "/"}${policyName}`;
        return { id: arn, state: { name: policyName, arn, policyId: `ANPA${hex(seed, 17).toUpperCase()}` } };
      }
      case "aws:lambda/function:Function": {
        const fn = named();
        const arn = `arn:${p}:lambda:${region}:${acct}:function:${fn}`;
        return {
          id: fn,
          state: {
            name: fn,
            arn,
            qualifiedArn: `${arn}:$LATEST`,
            invokeArn: `arn:${p}:apigateway:${region}:lambda:path/2015-03-31/functions/${arn}/invocations`,
            version: "$LATEST",
          },
        };
      }
      case "aws:sns/topic:Topic": {
        const arn = `arn:${p}:sns:${region}:${acct}:${named()}`;
        return { id: arn, state: { arn, name: arn.split(":").pop() } };
      }
      case "aws:sqs/queue:Queue": {
        const q = named();
        return {
          id: `https://sqs.${region}.amazonaws.com/${acct}/${q}`,
          state: {
            name: q,
            arn: `arn:${p}:sqs:${region}:${acct}:${q}`,
            url: `https://sqs.${region}.amazonaws.com/${acct}/${q}`,
          },
        };
      }
      case "aws:sfn/stateMachine:StateMachine": {
        const arn = `arn:${p}:states:${region}:${acct}:stateMachine:${named()}`;
        return { id: arn, state: { arn, name: arn.split(":").pop() } };
      }
      case "aws:cloudwatch/logGroup:LogGroup": {
        const group = named();
        return {
          id: group,
          state: { name: group, arn: `arn:${p}:logs:${region}:${acct}:log-group:${group}` },
        };
      }
      case "aws:cloudwatch/metricAlarm:MetricAlarm": {
        const alarm = named();
        return {
          id: alarm,
          state: { name: alarm, arn: `arn:${p}:cloudwatch:${region}:${acct}:alarm:${alarm}` },
        };
      }
      case "aws:kinesis/stream:Stream": {
        const stream = named();
        return {
          id: stream,
          state: { name: stream, arn: `arn:${p}:kinesis:${region}:${acct}:stream/${stream}` },
        };
      }
      case "aws:dynamodb/table:Table": {
        const table = named();
        return {
          id: table,
          state: { name: table, arn: `arn:${p}:dynamodb:${region}:${acct}:table/${table}` },
        };
      }
      case "aws:apigatewayv2/api:Api": {
        const apiId = hex(seed, 10);
        return {
          id: apiId,
          state: {
            apiEndpoint: `https://${apiId}.execute-api.${region}.amazonaws.com`,
            executionArn: `arn:${p}:execute-api:${region}:${acct}:${apiId}`,
            arn: `arn:${p}:apigateway:${region}::/apis/${apiId}`,
          },
        };
      }
      case "aws:apigatewayv2/stage:Stage":
      case "aws:apigatewayv2/integration:Integration":
      case "aws:apigatewayv2/authorizer:Authorizer":
      case "aws:apigatewayv2/route:Route": {
        const id = type.endsWith("Stage") ? (str("name") ?? "$default") : hex(seed, 7);
        return { id, state: {} };
      }
      case "aws:lambda/eventSourceMapping:EventSourceMapping": {
        const id = uuid(seed);
        return {
          id,
          state: { uuid: id, arn: `arn:${p}:lambda:${region}:${acct}:event-source-mapping:${id}` },
        };
      }
      case "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": {
        const stream = named();
        const arn = `arn:${p}:firehose:${region}:${acct}:deliverystream/${stream}`;
        return { id: arn, state: { name: stream, arn } };
      }
      case "aws:iot/certificate:Certificate": {
        const certId = hex(seed, 64);
        const generated =
          inputs.csr === undefined
            ? { privateKey: fakePem("RSA PRIVATE KEY", seed), publicKey: fakePem("PUBLIC KEY", seed) }
            : {};
        return {
          id: certId,
          state: {
            arn: `arn:${p}:iot:${region}:${acct}:cert/${certId}`,
            certificatePem: fakePem("CERTIFICATE", seed),
            caCertificateId: hex(`${seed}ca`, 64),
            ...generated,
          },
        };
      }
      case "aws:ec2/vpc:Vpc":
        return ec2Id("vpc", seed, p, region, acct, "vpc", {
          defaultRouteTableId: `rtb-${hex(`${seed}rt`, 17)}`,
          defaultSecurityGroupId: `sg-${hex(`${seed}sg`, 17)}`,
          mainRouteTableId: `rtb-${hex(`${seed}rt`, 17)}`,
          ownerId: acct,
        });
      case "aws:ec2/subnet:Subnet":
        return ec2Id("subnet", seed, p, region, acct, "subnet");
      case "aws:ec2/routeTable:RouteTable":
        return ec2Id("rtb", seed, p, region, acct, "route-table");
      case "aws:ec2/securityGroup:SecurityGroup":
        return ec2Id("sg", seed, p, region, acct, "security-group", { name: named() });
      case "aws:ec2/vpcEndpoint:VpcEndpoint": {
        const id = `vpce-${hex(seed, 17)}`;
        const service = (str("serviceName") ?? "").split(".").slice(3).join(".");
        return ec2Id("vpce", seed, p, region, acct, "vpc-endpoint", {
          prefixListId: `pl-${hex(seed, 8)}`,
          dnsEntries:
            inputs.vpcEndpointType === "Interface"
              ? [
                  {
                    dnsName: `${id}-${hex(`${seed}dns`, 8)}.${service}.${region}.vpce.amazonaws.com`,
                    hostedZoneId: `Z${hex(`${region}vpce`, 13).toUpperCase()}`,
                  },
                ]
              : [],
        });
      }
      case "aws:route53/zone:Zone": {
        const zoneId = `Z${hex(seed, 20).toUpperCase()}`;
        return {
          id: zoneId,
          state: { zoneId, arn: `arn:${p}:route53:::hostedzone/${zoneId}`, nameServers: [] },
        };
      }
      case "aws:ecr/repository:Repository": {
        const repository = named();
        return {
          id: repository,
          state: {
            name: repository,
            arn: `arn:${p}:ecr:${region}:${acct}:repository/${repository}`,
            registryId: acct,
            repositoryUrl: `${acct}.dkr.ecr.${region}.amazonaws.com/${repository}`,
          },
        };
      }
      case "aws:ecs/cluster:Cluster": {
        const cluster = named();
        return {
          id: cluster,
          state: { name: cluster, arn: `arn:${p}:ecs:${region}:${acct}:cluster/${cluster}` },
        };
      }
      case "aws:ec2/vpcPeeringConnection:VpcPeeringConnection":
        return ec2Id("pcx", seed, p, region, acct, "vpc-peering-connection", { acceptStatus: "active" });
      case "aws:ec2/flowLog:FlowLog":
        return ec2Id("fl", seed, p, region, acct, "vpc-flow-log");
      case "aws:ec2/internetGateway:InternetGateway":
        return ec2Id("igw", seed, p, region, acct, "internet-gateway");
      case "aws:ec2/route:Route":
        return { id: `r-${str("routeTableId") ?? "rtb"}${hex(seed, 8)}`, state: {} };
      case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
      case "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":
        return ec2Id("sgr", seed, p, region, acct, "security-group-rule");
      case "aws:rds/instance:Instance": {
        const identifier = named("identifier", true);
        const port = (inputs.port as number | undefined) ?? 5432;
        const address = `${identifier}.${hex(acct, 12)}.${region}.rds.amazonaws.com`;
        const secretArn = `arn:${p}:secretsmanager:${region}:${acct}:secret:rds!db-${uuid(seed)}-${hex(seed, 6)}`;
        return {
          id: `db-${hex(seed, 26).toUpperCase()}`,
          state: {
            identifier,
            address,
            port,
            endpoint: `${address}:${port}`,
            arn: `arn:${p}:rds:${region}:${acct}:db:${identifier}`,
            resourceId: `db-${hex(seed, 26).toUpperCase()}`,
            masterUserSecrets: inputs.manageMasterUserPassword
              ? [
                  {
                    secretArn,
                    kmsKeyId:
                      inputs.masterUserSecretKmsKeyId ??
                      `arn:${p}:kms:${region}:${acct}:alias/aws/secretsmanager`,
                    secretStatus: "active",
                  },
                ]
              : [],
          },
        };
      }
      case "aws:secretsmanager/secret:Secret": {
        const secretName = named();
        const arn = `arn:${p}:secretsmanager:${region}:${acct}:secret:${secretName}-${hex(seed, 6)}`;
        return { id: arn, state: { name: secretName, arn } };
      }
      case "aws:lambda/functionUrl:FunctionUrl": {
        const urlId = hex(seed, 32);
        return {
          id: str("functionName") ?? urlId,
          state: {
            functionUrl: `https://${urlId}.lambda-url.${region}.on.aws/`,
            urlId,
            functionArn: `arn:${p}:lambda:${region}:${acct}:function:${str("functionName") ?? name}`,
          },
        };
      }
      case "aws:quicksight/dataSource:DataSource":
      case "aws:quicksight/dataSet:DataSet": {
        const idKey = type.endsWith("DataSource") ? "dataSourceId" : "dataSetId";
        const resourceId = str(idKey) ?? uuid(seed);
        const kind = type.endsWith("DataSource") ? "datasource" : "dataset";
        return {
          id: `${acct},${resourceId}`,
          state: { arn: `arn:${p}:quicksight:${region}:${acct}:${kind}/${resourceId}` },
        };
      }
      case "aws:ssm/parameter:Parameter": {
        const parameter = named();
        return {
          id: parameter,
          state: { name: parameter, arn: ssmParameterArn(p, region, acct, parameter), version: 1 },
        };
      }
      case "aws:athena/namedQuery:NamedQuery":
        return { id: uuid(seed), state: {} };
      case "aws:scheduler/schedule:Schedule": {
        const s = named();
        return {
          id: `${str("groupName") ?? "default"}/${s}`,
          state: {
            name: s,
            arn: `arn:${p}:scheduler:${region}:${acct}:schedule/${str("groupName") ?? "default"}/${s}`,
          },
        };
      }
    }
    // Everything else: `arn:<partition>:<service>:<region>:<account>:<resource-type>/<name>`.
    const resourceName = str("name") ?? autoName(name, seed);
    const resourceType = (type.split(":")[2] ?? "resource").replace(/^[A-Z]/, (c) => c.toLowerCase());
    const arnService = SERVICE_ARN_NAMES[service] ?? service;
    const global = arnService === "iam" || arnService === "cloudfront";
    const arn = `arn:${p}:${arnService}:${global ? "" : region}:${acct}:${resourceType.toLowerCase()}/${resourceName}`;
    void pkg;
    return { id: resourceName, state: { name: resourceName, arn } };
  }
}
