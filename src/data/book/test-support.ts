/**
 * Test support (not built into dist): Kraken's documented WebSocket v2 book example, from the
 * "Spot WebSocket v2 book checksum" guide — a BTC/USD snapshot whose checksum is 3310070434 at
 * the pair's precisions (price 1, qty 8 decimals). ../shared/data holds no live v2 book capture.
 */

export type Level = [price: string, qty: string];
/** Kraken's documented example, written as Kraken writes it on the wire (JSON numbers). */
export const DOC_BIDS: Level[] = [
  ["45283.5", "0.10000000"],
  ["45283.4", "1.54582015"],
  ["45282.1", "0.10000000"],
  ["45281.0", "0.10000000"],
  ["45280.3", "1.54592586"],
  ["45279.0", "0.07990000"],
  ["45277.6", "0.03310103"],
  ["45277.5", "0.30000000"],
  ["45277.3", "1.54602737"],
  ["45276.6", "0.15445238"],
];
export const DOC_ASKS: Level[] = [
  ["45285.2", "0.00100000"],
  ["45286.4", "1.54571953"],
  ["45286.6", "1.54571109"],
  ["45289.6", "1.54560911"],
  ["45290.2", "0.15890660"],
  ["45291.8", "1.54553491"],
  ["45294.7", "0.04454749"],
  ["45296.1", "0.35380000"],
  ["45297.5", "0.09945542"],
  ["45299.5", "0.18772827"],
];
export const DOC_CHECKSUM = 3310070434;

/** A v2 `book` message as Kraken writes it: prices and quantities are JSON numbers. */
export function krakenV2BookMessage(
  type: "snapshot" | "update",
  asks: Level[],
  bids: Level[],
  checksum: number,
): string {
  const lv = (l: Level[]) => `[${l.map(([p, q]) => `{"price":${p},"qty":${q}}`).join(",")}]`;
  return (
    `{"channel":"book","type":"${type}","data":[{"symbol":"BTC/USD","bids":${lv(bids)},` +
    `"asks":${lv(asks)},"checksum":${checksum},"timestamp":"2023-10-04T07:48:25.123456Z"}]}`
  );
}
