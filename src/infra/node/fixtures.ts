/**
 * Test fixture: the config file of a node deployment that trades real XRP/ETH candles from
 * ../shared/data with two bar strategies on a cash account (failover and stream-mode tests).
 */
export function candleNodeConfig(o: {
  seed: number;
  /** Lines of the node section (indented by two spaces), e.g. the bridge and the lock. */
  node: string[];
  /** Absolute path of a freqtrade candle file. */
  file: string;
  /** Bar type the strategies trade, e.g. XRPETH.BINANCE-1-MINUTE-LAST-EXTERNAL. */
  bar: string;
  /** `fast`: parameters that make both strategies trade every few bars. */
  trading?: "default" | "fast";
}): string {
  const [sma, rsi] =
    o.trading === "fast"
      ? ["fast: 2, slow: 3", "period: 2, lower: 49, upper: 51"]
      : ["fast: 10, slow: 30", "lower: 35, upper: 65"];
  return `seed: ${o.seed}
logging: { level: warn }
node:
${o.node.map((l) => `  ${l}\n`).join("")}backtest:
  data: { files: ["${o.file}"] }
  instruments:
    - { id: XRPETH.BINANCE, kind: spot, base: XRP, quote: ETH, priceIncrement: "0.00000001", sizeIncrement: "1", takerFee: "0.001", makerFee: "0.001" }
  venues:
    - { name: BINANCE, accountType: cash, startingBalances: ["5 ETH"], fillModel: bars }
  strategies:
    - { name: sma-cross, params: { ${sma}, size: "1000" }, barType: ${o.bar} }
    - { name: rsi-reversion, params: { ${rsi}, size: "1000" }, barType: ${o.bar} }
`;
}
