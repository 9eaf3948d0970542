/** The cost estimate as a table for people: per service, per line, each line's assumptions under it. Pure. */
import type { CostEstimate } from "./estimate";
import { fmt } from "./usage";

const usd = (value: number) =>
  value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function formatEstimate(estimate: CostEstimate, provenance: string, pricesFile: string): string {
  const out: string[] = [];
  out.push(
    `Monthly cost estimate for stack ${estimate.stack} (${estimate.region}): $${usd(estimate.totalMonthlyUsd)} a month`,
    `${fmt(estimate.devices)} sensors, one reading every ${fmt(estimate.intervalSeconds)} s (${fmt(estimate.messagesPerMonth)} messages a month), 730 hours`,
    `Prices: ${pricesFile}. ${provenance}`,
    "",
  );
  const width = { item: 44, quantity: 16, unit: 34 };
  out.push(
    `${"service / item".padEnd(width.item)}${"quantity".padStart(width.quantity)}  ${"unit".padEnd(width.unit)}${"USD/month".padStart(12)}`,
  );
  for (const service of [...estimate.services].sort((a, b) => b.monthlyUsd - a.monthlyUsd)) {
    out.push(
      `${service.service.padEnd(width.item + width.quantity + width.unit + 2)}${usd(service.monthlyUsd).padStart(12)}`,
    );
    for (const line of service.lines) {
      out.push(
        `  ${line.item.padEnd(width.item - 2)}${fmt(line.quantity).padStart(width.quantity)}  ${line.unit.padEnd(width.unit)}${usd(line.monthlyUsd).padStart(12)}`,
      );
      for (const assumption of line.assumptions) out.push(`      · ${assumption}`);
      const provenance = line.price.confirmed
        ? `checked ${line.price.read}`
        : `from memory ${line.price.read}, not checked against the page`;
      out.push(`      · $${line.price.usd} per ${line.unit} (${line.price.source}, ${provenance})`);
    }
  }
  out.push(
    `${"Total".padEnd(width.item + width.quantity + width.unit + 2)}${usd(estimate.totalMonthlyUsd).padStart(12)}`,
    "",
    "Not included:",
    ...estimate.excluded.map((e) => `  - ${e}`),
  );
  return out.join("\n");
}
