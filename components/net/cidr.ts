/** IPv4 CIDR arithmetic for VPC planning. Pure. */

export interface Cidr {
  readonly text: string;
  /** First address as an unsigned 32-bit integer. */
  readonly first: number;
  /** Last address as an unsigned 32-bit integer. */
  readonly last: number;
  readonly prefix: number;
}

/** Parses `a.b.c.d/n`; returns a reason string when the text is not a valid, aligned CIDR block. */
export function parseCidr(text: string): Cidr | string {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!match) return `"${text}" is not of the form a.b.c.d/n`;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32)
    return `"${text}" has an octet above 255 or a prefix above 32`;
  const address = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const size = 2 ** (32 - prefix);
  if (address % size !== 0) {
    const base = address - (address % size);
    return `"${text}" has host bits set; the network address is ${formatIp(base)}/${prefix}`;
  }
  return { text, first: address, last: address + size - 1, prefix };
}

export function formatIp(address: number): string {
  return [24, 16, 8, 0].map((shift) => (address >>> shift) & 255).join(".");
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/**
 * Splits a block into `count` equal subnets (count rounded up to a power of two), e.g. one per
 * availability zone. Throws when the block is too small for subnets of at least /28 (AWS's minimum).
 */
export function splitCidr(block: string, count: number): string[] {
  const parsed = parseCidr(block);
  if (typeof parsed === "string") throw new Error(parsed);
  const bits = Math.ceil(Math.log2(Math.max(1, count)));
  const prefix = parsed.prefix + bits;
  if (prefix > 28) throw new Error(`${block} is too small for ${count} subnets of at least /28`);
  const size = 2 ** (32 - prefix);
  return Array.from({ length: count }, (_, i) => `${formatIp(parsed.first + i * size)}/${prefix}`);
}
