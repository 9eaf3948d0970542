/** KMS rules. Source: cdk-nag AwsSolutions-KMS5, Security Hub KMS.4. */
import type { ResourceValidationPolicy } from "@pulumi/policy";

export const kmsKeyRotation: ResourceValidationPolicy = {
  name: "kms-key-rotation",
  description: "Customer-managed symmetric KMS keys rotate their key material yearly.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== "aws:kms/key:Key") return;
    const spec = args.props.customerMasterKeySpec ?? args.props.keySpec ?? "SYMMETRIC_DEFAULT";
    if (spec === "SYMMETRIC_DEFAULT" && args.props.enableKeyRotation !== true) {
      reportViolation(
        `${args.name}: enableKeyRotation is ${String(args.props.enableKeyRotation)}; set it to true`,
      );
    }
  },
};

export const kmsPolicies = [kmsKeyRotation];
