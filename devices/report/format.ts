/** The merged report for a person: the counts that matter, one per line, like the simulator's own summary. */
import { formatDuration } from "../../components/telemetry/durations";
import type { LakeComparison } from "./lake-completeness";
import type { MergedReport } from "./merge";

export function formatReport(report: MergedReport, lake?: LakeComparison): string {
  const n = (v: number): string => v.toLocaleString("en-US");
  const lines = [
    `${report.ok ? "OK" : "FAILED"}: ${report.deployment}, ${report.shards.length} shards (${report.shards.join(", ")})${report.missingShards.length ? `, missing ${report.missingShards.join(", ")}` : ""}`,
    `  simulated   ${report.simulated.start ?? "-"} .. ${report.simulated.end ?? "-"}${report.profile ? `, profile ${report.profile}` : ""}`,
    `  wall        ${formatDuration(report.wallMs)} (longest shard)`,
    `  published   ${n(report.published)} (${n(report.publishRate)}/s), acknowledged ${n(report.acknowledged)}, resent ${n(report.resent)}`,
    `  failed      ${n(report.failed.total)} (dropped ${n(report.failed.dropped)}, rejected ${n(report.failed.rejected)}, unacknowledged ${n(report.failed.unacknowledged)}, unsent ${n(report.failed.unsent)})`,
    `  connections ${n(report.devicesConnected)}/${n(report.devices)} connected, ${n(report.reconnects)} reconnects, ${n(report.connectFailures)} failed attempts`,
  ];
  if (report.provisioned + report.provisioningFailures > 0) {
    lines.push(`  provisioned ${n(report.provisioned)}, failed ${n(report.provisioningFailures)}`);
  }
  if (report.ackLatencyMs) {
    const l = report.ackLatencyMs;
    lines.push(
      `  ack latency p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms, p99.9 ${l.p999} ms, max ${l.max} ms (merged histograms, ${n(l.count)} samples)`,
    );
  }
  if (report.anomaliesInjected > 0) lines.push(`  anomalies   ${n(report.anomaliesInjected)} injected`);
  for (const [kind, message] of Object.entries(report.errors)) lines.push(`  last ${kind} error: ${message}`);
  if (lake) {
    lines.push(
      `  lake        ${n(lake.received)} of ${n(lake.published)} readings of ${n(lake.devices)} devices (${lake.completenessPct}%)`,
    );
    for (const s of lake.short) lines.push(`    ${s.device}: ${n(s.received)} of ${n(s.published)}`);
  }
  return lines.join("\n");
}
