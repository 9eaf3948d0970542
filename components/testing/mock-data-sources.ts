/**
 * The mocks' answers to the data sources (invokes) this project calls: the deploying account, partition and
 * region, availability zones, the IoT endpoint, Parameter Store reads and SageMaker's algorithm images. An
 * invoke nobody mocked throws {@link MockNotImplementedError}, so a new data source never passes silently.
 */
import type * as pulumi from "@pulumi/pulumi";
import { hex, ssmParameterArn } from "./mock-ids";

/**
 * An invoke (data source) the mocks do not answer. Carries its text as `details` too: the SDK rethrows a failed
 * invoke as `new Error(err.details)`, the gRPC error's field, so a plain Error's message would be lost and the
 * program would fail with no word of which data source it called.
 */
export class MockNotImplementedError extends Error {
  override readonly name = "MockNotImplementedError";
  readonly details: string;
  constructor(
    readonly token: string,
    detail = "",
  ) {
    super(
      `Mock not implemented: ${token}${detail}; answer it with your own pulumi.runtime.Mocks (see AwsMocks.call)`,
    );
    this.details = this.message;
  }
}

/** Where the mocks deploy: what the answers are built from. */
export interface MockAccount {
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  /** The account's Parameter Store before the program runs (name to String value). */
  readonly ssmParameters: Readonly<Record<string, string>>;
}

/** The answer to one invoke. */
export function dataSourceAnswer(
  args: pulumi.runtime.MockCallArgs,
  account: MockAccount,
): Record<string, unknown> {
  const { region, accountId, partition, ssmParameters } = account;
  const inputs = args.inputs as Record<string, unknown>;
  switch (args.token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        accountId,
        arn: `arn:${partition}:iam::${accountId}:user/deployer`,
        userId: "AIDAEXAMPLEDEPLOYER",
        id: accountId,
      };
    case "aws:index/getPartition:getPartition":
      return {
        partition,
        dnsSuffix: partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com",
        reverseDnsPrefix: "com.amazonaws",
        id: partition,
      };
    case "aws:index/getRegion:getRegion":
      return {
        name: region,
        region,
        id: region,
        endpoint: `ec2.${region}.amazonaws.com`,
        description: region,
      };
    case "aws:index/getAvailabilityZones:getAvailabilityZones": {
      const suffixes = ["a", "b", "c"];
      return {
        id: region,
        names: suffixes.map((s) => `${region}${s}`),
        zoneIds: suffixes.map((_, i) => `${region.replace(/-/g, "").slice(0, 4)}-az${i + 1}`),
        state: "available",
      };
    }
    case "aws:iot/getEndpoint:getEndpoint": {
      const type = (inputs.endpointType as string | undefined) ?? "iot:Data";
      const host = type === "iot:Data-ATS" ? `${hex(accountId, 14)}-ats` : hex(`${accountId}${type}`, 14);
      const service = type.startsWith("iot:Data")
        ? "iot"
        : type === "iot:CredentialProvider"
          ? "credentials.iot"
          : "jobs.iot";
      return {
        id: region,
        endpointAddress: `${host}.${service}.${region}.amazonaws.com`,
        endpointType: type,
      };
    }
    case "aws:ssm/getParametersByPath:getParametersByPath": {
      const base = (inputs.path as string).replace(/\/+$/, "");
      const recursive = inputs.recursive === true;
      // Parameter Store answers the parameters under the path: one level down unless recursive.
      const found = Object.entries(ssmParameters)
        .filter(([n]) => n.startsWith(`${base}/`) && (recursive || !n.slice(base.length + 1).includes("/")))
        .sort(([a], [b]) => a.localeCompare(b));
      return {
        id: base,
        path: inputs.path,
        names: found.map(([n]) => n),
        values: found.map(([, v]) => v),
        types: found.map(() => "String"),
        arns: found.map(([n]) => ssmParameterArn(partition, region, accountId, n)),
        region,
      };
    }
    case "aws:sagemaker/getPrebuiltEcrImage:getPrebuiltEcrImage": {
      const registry = SAGEMAKER_ALGORITHM_REGISTRIES[region];
      if (!registry) throw new MockNotImplementedError(args.token, ` for region ${region}`);
      const repository = inputs.repositoryName as string;
      const tag = (inputs.imageTag as string | undefined) ?? "1";
      const registryPath = `${registry}.dkr.ecr.${region}.amazonaws.com/${repository}:${tag}`;
      return {
        id: registryPath,
        registryId: registry,
        registryPath,
        repositoryName: repository,
        imageTag: tag,
      };
    }
    default:
      throw new MockNotImplementedError(args.token);
  }
}

/**
 * Accounts hosting SageMaker's built-in algorithm images (Random Cut Forest among them) per region, from the
 * SageMaker "Docker Registry Paths and Example Code" tables.
 */
const SAGEMAKER_ALGORITHM_REGISTRIES: Record<string, string> = {
  "us-east-1": "382416733822",
  "us-east-2": "404615174143",
  "us-west-1": "632365934929",
  "us-west-2": "174872318107",
  "eu-west-1": "438346466558",
  "eu-west-2": "644912444149",
  "eu-central-1": "664544806723",
  "ap-northeast-1": "351501993468",
  "ap-southeast-1": "475088953585",
  "ap-southeast-2": "712309505854",
};
