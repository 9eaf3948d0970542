/**
 * The unit-price table (`data/pricing/aws-prices.json`): loading, checking and charging. Pure apart from
 * {@link loadPriceTable} reading the file. Every price carries the public page it comes from and the date it
 * was read, so an estimate can say where each figure comes from.
 */
import * as fs from "fs";

/** A price tier: `usd` per unit up to `upTo` units a month (the last tier has no bound). */
export interface PriceTier {
  readonly upTo?: number;
  readonly usd: number;
}

export interface UnitPrice {
  /** USD per `per`. For tiered prices, the first tier's price. */
  readonly usd: number;
  /** The unit the price is for, e.g. `million messages`, `GB-month`, `instance-hour`. */
  readonly per: string;
  /** The public pricing page. */
  readonly source: string;
  /** When the figure was read (YYYY-MM-DD); for one written from memory (no `confirmedBy`), when it was written. */
  readonly read: string;
  /**
   * The page the figure was checked against, and what it states there. @default - none: written from memory and
   * not checked; `npm run cost` says so next to the figure
   */
  readonly confirmedBy?: string;
  /** Volume tiers, in units of `per` per month. @default - one price for any volume */
  readonly tiers?: readonly PriceTier[];
  readonly note?: string;
}

export interface PriceTable {
  readonly description: string;
  /** Where the figures come from and how far to trust them. */
  readonly provenance: string;
  readonly currency: "USD";
  /** Hours in the month the estimate prices (AWS prices monthly figures at 730). */
  readonly hoursPerMonth: number;
  readonly regions: Readonly<Record<string, Readonly<Record<string, UnitPrice>>>>;
}

/** One price looked up for a region, with its id (for the output). */
export interface PriceRef extends UnitPrice {
  readonly id: string;
}

/** Problems with a table's structure; empty when it is usable. */
export function priceTableProblems(table: unknown): string[] {
  const problems: string[] = [];
  const t = table as Partial<PriceTable> | null;
  if (typeof t !== "object" || t === null) return ["the price table must be a JSON object"];
  if (t.currency !== "USD") problems.push(`currency must be "USD" (got ${JSON.stringify(t.currency)})`);
  if (typeof t.hoursPerMonth !== "number" || t.hoursPerMonth <= 0)
    problems.push("hoursPerMonth must be a number");
  if (typeof t.provenance !== "string" || t.provenance.length < 20)
    problems.push("provenance must say where the prices come from");
  if (typeof t.regions !== "object" || t.regions === null)
    return [...problems, "regions must map region names to prices"];
  for (const [region, prices] of Object.entries(t.regions)) {
    for (const [id, price] of Object.entries(prices)) {
      const where = `${region} ${id}`;
      if (typeof price.usd !== "number" || !(price.usd >= 0))
        problems.push(`${where}: usd must be a number >= 0`);
      if (typeof price.per !== "string" || price.per === "")
        problems.push(`${where}: per must name the unit`);
      if (typeof price.source !== "string" || !/^https:\/\/\S+$/.test(price.source))
        problems.push(`${where}: source must be the https URL of the pricing page`);
      if (typeof price.read !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(price.read))
        problems.push(`${where}: read must be the date the price was read (YYYY-MM-DD)`);
      if (
        price.confirmedBy !== undefined &&
        (typeof price.confirmedBy !== "string" || price.confirmedBy === "")
      )
        problems.push(
          `${where}: confirmedBy must name the page the price was checked against (or be left out)`,
        );
      if (price.tiers !== undefined) {
        const tiers = price.tiers;
        const bounded = tiers.slice(0, -1);
        if (
          tiers.length === 0 ||
          bounded.some(
            (tier, i) => tier.upTo === undefined || (i > 0 && tier.upTo <= bounded[i - 1]!.upTo!),
          ) ||
          tiers.at(-1)!.upTo !== undefined
        )
          problems.push(`${where}: tiers must rise by upTo and end with an unbounded tier`);
      }
    }
  }
  return problems;
}

/** Reads and checks a price table. @throws Error naming the file and every problem. */
export function loadPriceTable(file: string): PriceTable {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`cannot read the price table ${file}: ${(err as Error).message}`, { cause: err });
  }
  const problems = priceTableProblems(parsed);
  if (problems.length > 0)
    throw new Error(`the price table ${file} is not usable:\n  - ${problems.join("\n  - ")}`);
  return parsed as PriceTable;
}

/** Looks prices up for one region; a missing price is an error that names it and the fix. */
export class RegionPrices {
  constructor(
    readonly table: PriceTable,
    readonly region: string,
    readonly file: string,
  ) {
    if (!table.regions[region])
      throw new Error(
        `the price table ${file} has no prices for ${region} (it has ${Object.keys(table.regions).join(", ")}); ` +
          `add a "${region}" block (copy us-east-1 and set each usd from the source page)`,
      );
  }

  get(id: string): PriceRef {
    const price = this.table.regions[this.region]![id];
    if (!price)
      throw new Error(
        `the price table ${this.file} has no price "${id}" for ${this.region}; add it (usd, per, source, read) from the AWS pricing page`,
      );
    return { id, ...price };
  }
}

/** What `quantity` units cost under a price, its tiers applied in order. */
export function charge(price: UnitPrice, quantity: number): number {
  if (!price.tiers) return quantity * price.usd;
  let remaining = quantity;
  let previous = 0;
  let total = 0;
  for (const tier of price.tiers) {
    const size = tier.upTo === undefined ? remaining : Math.min(remaining, tier.upTo - previous);
    total += size * tier.usd;
    remaining -= size;
    previous = tier.upTo ?? previous;
    if (remaining <= 0) break;
  }
  return total;
}
