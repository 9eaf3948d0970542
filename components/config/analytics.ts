/** Analytics: Athena's per-query scan cutoff and QuickSight. */
import type { ConfigReader } from "./reader";
import type { PlatformConfig } from "./types";

const QUICKSIGHT_ARN =
  /^arn:aws[a-z-]*:quicksight:[a-z0-9-]+:\d{12}:(user|group)\/[A-Za-z0-9_.@+=-]+\/[A-Za-z0-9_.@+=/-]+$/;

export type AnalyticsConfig = Pick<PlatformConfig, "athena" | "quicksight">;

/** Reads Athena's scan cutoff and QuickSight's switch and principals; problems go to `r`. */
export function readAnalyticsConfig(r: ConfigReader): AnalyticsConfig {
  const cutoffMiB = r.integer("athenaBytesScannedCutoffMiB", 10, 1048576, 100);
  const quicksightEnabled = r.boolean("quicksightEnabled");
  const quicksightPrincipals = r.stringArray("quicksightPrincipals", {
    pattern: QUICKSIGHT_ARN,
    describe: "QuickSight user or group ARNs",
    example: "arn:aws:quicksight:us-east-1:111122223333:group/default/analysts",
  });
  if (quicksightEnabled && quicksightPrincipals.length === 0) {
    r.problem(
      "quicksightPrincipals",
      "must name at least one user or group when quicksightEnabled is true (otherwise nobody can open the dashboard)",
      "add a QuickSight user or group ARN, or set quicksightEnabled to false",
      [],
    );
  }
  return {
    athena: { bytesScannedCutoffPerQuery: cutoffMiB * 1024 * 1024 },
    quicksight: { enabled: quicksightEnabled, principals: quicksightPrincipals },
  };
}
