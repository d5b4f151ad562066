/** Accounts, positions and the portfolio: exact PnL, equity, exposure, margin and liquidation. */
export * from "./account.js";
export * from "./portfolio.js";
export * from "./position.js";
