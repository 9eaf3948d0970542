/**
 * Container rules (the fleet runner's image and cluster). Sources: Security Hub ECR.1 (image scanning), ECR.2
 * (tag immutability), ECS.12 (Container Insights) and cdk-nag AwsSolutions-ECS4.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";

const REPOSITORY = "aws:ecr/repository:Repository";
const CLUSTER = "aws:ecs/cluster:Cluster";

export const ecrScanAndImmutableTags: ResourceValidationPolicy = {
  name: "ecr-scan-immutable",
  description:
    "ECR repositories scan images on push and keep tags immutable, so a tag always names the image that was scanned.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== REPOSITORY) return;
    const scanning = args.props.imageScanningConfiguration as { scanOnPush?: boolean } | undefined;
    if (scanning?.scanOnPush !== true)
      reportViolation(
        `${args.name} does not scan images on push; set imageScanningConfiguration.scanOnPush to true`,
      );
    if (args.props.imageTagMutability !== "IMMUTABLE")
      reportViolation(
        `${args.name}'s tags are mutable (${String(args.props.imageTagMutability ?? "MUTABLE")}); set imageTagMutability to IMMUTABLE`,
      );
  },
};

export const ecsContainerInsights: ResourceValidationPolicy = {
  name: "ecs-container-insights",
  description: "ECS clusters record Container Insights metrics (CPU, memory, network per task).",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== CLUSTER) return;
    const settings = (args.props.settings as { name?: string; value?: string }[] | undefined) ?? [];
    const insights = settings.find((s) => s.name === "containerInsights");
    if (insights?.value !== "enabled" && insights?.value !== "enhanced")
      reportViolation(
        `${args.name} has Container Insights off; add settings [{ name: containerInsights, value: enabled }]`,
      );
  },
};

export const containerPolicies = [ecrScanAndImmutableTags, ecsContainerInsights];
